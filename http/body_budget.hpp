#pragma once
// Request bodies in flight across all connections, against one cap
// (--max-inflight-body-bytes): a body is counted from the moment its size is
// announced (or its first chunk arrives) until its request is answered.
#include <atomic>
#include <cstddef>

namespace troupe::http {

class body_budget {
 public:
  explicit body_budget(std::size_t cap) : cap_(cap) {}

  // Takes n bytes if they fit under the cap.
  bool try_reserve(std::size_t n) {
    auto used = used_.load(std::memory_order_relaxed);
    do {
      if (n > cap_ || used > cap_ - n) return false;
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }
  // Takes n bytes whatever the cap (a body already received).
  void force(std::size_t n) { used_.fetch_add(n, std::memory_order_relaxed); }
  void release(std::size_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }
  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  std::size_t cap() const { return cap_; }

 private:
  std::atomic<std::size_t> used_{0};
  const std::size_t cap_;
};

}  // namespace troupe::http
