#pragma once
// One live conversation. Runs one turn at a time in arrival order; a turn is
// stored (new messages and reply together) only once it completed.
#include <memory>
#include <string>

#include "actors/messages.hpp"
#include "actors/turn_deadlines.hpp"

namespace troupe::actors {

struct session_options {
  std::shared_ptr<turn_deadlines> deadlines;  // 504 for turns that take too long
  session_loader_actor loader;                // where a waking session loads (else the repo)
  // Cluster: this node's id. A session takes itself over (a new owner epoch)
  // before it loads, and its writes are fenced by that epoch.
  std::string node_id;
};

// `fresh`: the id was just generated, so there is nothing to load.
session_actor spawn_session(caf::actor_system& sys, std::string id, bool fresh,
                            session_repo_actor repo, session_options opts);

}  // namespace troupe::actors
