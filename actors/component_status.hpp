#pragma once
// A component's recent health for GET /v1/health (a provider, the storage):
// written by its actors, read by HTTP threads.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "domain/service/service_codec.hpp"

namespace troupe::actors {

class component_status {
 public:
  void record_error(std::string message, std::int64_t at_ms) {
    std::lock_guard<std::mutex> g{mu_};
    s_.last_error = std::move(message);
    s_.last_error_ms = at_ms;
  }
  // On every answered call: a plain atomic store, no lock on the hot path.
  void record_success(std::int64_t at_ms) { last_success_ms_.store(at_ms, std::memory_order_relaxed); }
  domain::component_health snapshot() const {
    std::lock_guard<std::mutex> g{mu_};
    auto s = s_;
    s.last_success_ms = last_success_ms_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  mutable std::mutex mu_;
  domain::component_health s_;
  std::atomic<std::int64_t> last_success_ms_{0};
};

}  // namespace troupe::actors
