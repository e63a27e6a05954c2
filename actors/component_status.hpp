#pragma once
// A component's recent health for GET /v1/health (a provider, the storage):
// written by its actors, read by HTTP threads.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace troupe::actors {

struct component_health {
  std::string last_error;          // empty: none since start
  std::int64_t last_error_ms = 0;  // wall clock
  std::int64_t last_success_ms = 0;
};

class component_status {
 public:
  // Failing: the last error came after the last success.
  bool failing() const {
    auto s = snapshot();
    return !s.last_error.empty() && s.last_error_ms >= s.last_success_ms;
  }
  void record_error(std::string message, std::int64_t at_ms) {
    std::lock_guard<std::mutex> g{mu_};
    s_.last_error = std::move(message);
    s_.last_error_ms = at_ms;
  }
  // On every answered call: a plain atomic store, no lock on the hot path.
  void record_success(std::int64_t at_ms) { last_success_ms_.store(at_ms, std::memory_order_relaxed); }
  component_health snapshot() const {
    std::lock_guard<std::mutex> g{mu_};
    auto s = s_;
    s.last_success_ms = last_success_ms_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  mutable std::mutex mu_;
  component_health s_;
  std::atomic<std::int64_t> last_success_ms_{0};
};

}  // namespace troupe::actors
