#pragma once
// A provider's recent health for GET /v1/health: written by its actor,
// read by HTTP threads.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace troupe::actors {

struct provider_health_snapshot {
  std::string last_error;          // empty: none since start
  std::int64_t last_error_ms = 0;  // wall clock
  std::int64_t last_success_ms = 0;
};

class provider_status {
 public:
  void record_error(std::string message, std::int64_t at_ms) {
    std::lock_guard<std::mutex> g{mu_};
    s_.last_error = std::move(message);
    s_.last_error_ms = at_ms;
  }
  // On every answered call: a plain atomic store, no lock on the hot path.
  void record_success(std::int64_t at_ms) { last_success_ms_.store(at_ms, std::memory_order_relaxed); }
  provider_health_snapshot snapshot() const {
    std::lock_guard<std::mutex> g{mu_};
    auto s = s_;
    s.last_success_ms = last_success_ms_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  mutable std::mutex mu_;
  provider_health_snapshot s_;
  std::atomic<std::int64_t> last_success_ms_{0};
};

}  // namespace troupe::actors
