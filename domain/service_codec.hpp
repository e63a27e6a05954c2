#pragma once
// JSON of the service endpoints: /, /ping, /v1/health, /v1/schema.
#include <cstdint>
#include <string>
#include <vector>

namespace troupe::domain {

std::string encode_root();
std::string encode_ping();

struct provider_health {
  std::string name;
  std::string type;
  bool implemented = false;
  std::string last_error;           // empty: none since start
  std::int64_t last_error_ms = 0;   // wall clock, ms since the epoch
  std::int64_t last_success_ms = 0;
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
  runtime_counts counts;
  std::uint64_t max_live_sessions = 0;
  std::int64_t inflight_requests = 0;
  std::string storage;
  // The storage's last failure (empty: none since start or since its last
  // success) and when it last wrote successfully.
  std::string storage_error;
  std::int64_t storage_error_ms = 0;
  std::int64_t storage_success_ms = 0;
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
