#pragma once
// The scheduler supervises the live agent and session actors: spawns them on
// first use, routes turns by id, monitors them, answers 500 for the turn an
// actor died with, and lets the next request start a fresh one.
#include <chrono>
#include <functional>
#include <memory>

#include "actors/cluster/node.hpp"
#include "actors/messages.hpp"
#include "actors/providers/provider_directory.hpp"
#include "actors/session.hpp"
#include "actors/tools/toolset_directory.hpp"

namespace troupe::actors {

// How live actors are made; tests swap in failing ones.
struct actor_factory {
  std::function<agent_actor(caf::actor_system&, std::shared_ptr<const domain::agent_config>)>
      make_agent;
  std::function<session_actor(caf::actor_system&, const std::string& id, bool fresh)> make_session;
};

actor_factory default_factory(std::shared_ptr<const provider_directory> providers,
                              session_repo_actor sessions, session_options opts,
                              std::shared_ptr<const toolset_directory> toolsets = nullptr);

struct scheduler_options {
  // A session with no turn for this long sleeps (its actor stops; it stays stored).
  std::chrono::milliseconds session_idle{300000};
  // At most this many live session actors; past it the least recently used idle ones sleep.
  std::size_t max_live_sessions = 100000;
  std::chrono::milliseconds sweep_interval{1000};
  // Where resent conversations are looked up (null: the session repository).
  session_loader_actor loader;
  // Set on a cluster node: turns of sessions another node owns go there.
  std::shared_ptr<const cluster_link> cluster;
};

scheduler_actor spawn_scheduler(caf::actor_system& sys, agent_repo_actor agents,
                                session_repo_actor sessions, actor_factory factory,
                                scheduler_options opts = {});

}  // namespace troupe::actors
