#pragma once
// Wires the actors of one server: repositories, providers, scheduler.
#include <chrono>
#include <memory>
#include <optional>

#include "actors/cluster/node.hpp"
#include "actors/key_messages.hpp"
#include "actors/messages.hpp"
#include "actors/telemetry.hpp"
#include "actors/providers/provider_directory.hpp"
#include "actors/scheduler.hpp"
#include "actors/session.hpp"
#include "domain/keys/key_directory.hpp"
#include "domain/keys/usage.hpp"
#include "domain/service/services_config.hpp"
#include "storage/storage_factory.hpp"

namespace troupe::actors {

// This process as a node of a cluster.
struct cluster_options {
  std::string cluster_name;
  std::string node_id;
  std::string host;  // where the node actor listens
  std::uint16_t port = 0;
  std::string http_address;
  std::chrono::milliseconds failure{5000};
  bool tls = false;  // the openssl module is loaded and configured
};

struct runtime_options {
  std::chrono::milliseconds turn_timeout{120000};
  scheduler_options scheduler;
  std::size_t max_config_bytes = 64 << 10;
  std::shared_ptr<actors::telemetry> metrics;  // null: nothing counted
  std::chrono::milliseconds usage_flush{1000};  // how often usage is written
  std::optional<cluster_options> cluster;  // needs backends.cluster
};

struct runtime {
  agent_repo_actor agents;
  session_repo_actor sessions;
  session_loader_actor session_reader;  // sqlite only: loads on a second connection
  scheduler_actor scheduler;
  std::shared_ptr<const provider_directory> providers;
  std::shared_ptr<const toolset_directory> toolsets;
  std::shared_ptr<component_status> storage_health;  // written by both repositories
  caf::actor watchdog;
  key_repo_actor keys;
  usage_repo_actor usage;
  // Read by HTTP threads on every request; the key repository writes it.
  std::shared_ptr<domain::key_directory> key_directory;
  // Finished turns' usage, gathered by the HTTP layer, written by `usage`.
  std::shared_ptr<domain::usage_meter> usage_meter;
  // A cluster node's view and node actor (null on a node of its own).
  std::shared_ptr<cluster_link> cluster;
  caf::actor membership;
};

// Throws storage_error when the stored keys cannot be read.
runtime start_runtime(caf::actor_system& sys, storage::backends backends,
                      const domain::services_config& services, runtime_options opts);

// How often the watchdog looks for expired turns.
std::chrono::milliseconds watchdog_tick(std::chrono::milliseconds turn_timeout);

// Stops every actor of the runtime (after the HTTP server stopped).
void stop_runtime(caf::actor_system& sys, const runtime& rt);

}  // namespace troupe::actors
