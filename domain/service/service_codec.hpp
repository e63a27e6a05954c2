#pragma once
#include <memory>
#include "domain/cluster/cluster_snapshot.hpp"
// JSON of the service endpoints: /, /ping, /v1/health, /v1/schema.
#include <cstdint>
#include <string>
#include <vector>

namespace troupe::domain {

std::string encode_root();
std::string encode_ping();

// A component's recent outcomes (a provider, the storage).
struct component_health {
  std::string last_error;           // empty: none since start
  std::int64_t last_error_ms = 0;   // wall clock, ms since the epoch
  std::int64_t last_success_ms = 0;
  // The latest outcome was a failure.
  bool failing() const { return !last_error.empty() && last_error_ms > last_success_ms; }
};

struct provider_health {
  std::string name;
  std::string type;
  bool implemented = false;
  component_health health;
};

// What the runtime counts (the scheduler gathers them).
struct runtime_counts {
  std::uint64_t agents = 0;
  std::uint64_t stored_sessions = 0;
  std::uint64_t live_sessions = 0;
  std::uint64_t passivated_sessions = 0;
  std::uint64_t live_agent_actors = 0;
  std::uint64_t total_completions = 0;
};

struct health_view {
  double uptime_seconds = 0;
  std::shared_ptr<const cluster_snapshot> cluster;  // a cluster node's view, else null
  runtime_counts counts;
  std::uint64_t max_live_sessions = 0;
  std::int64_t inflight_requests = 0;
  std::string storage;
  component_health storage_health;  // its last error shows only while failing
  std::vector<provider_health> providers;
};
std::string encode_health(const health_view& h);

struct schema_limits {
  std::uint64_t max_body_bytes = 0;
  std::uint64_t max_config_bytes = 0;
  double turn_timeout_s = 0;
};
std::string encode_schema(const schema_limits& limits, const std::vector<std::string>& provider_types);

}  // namespace troupe::domain
