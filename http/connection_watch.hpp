#pragma once
// Learns from RESTinio when a client connection closes and marks the chat
// turns still running on it as gone, so their upstream calls stop. A stream
// also notices from a failed write, but a non-stream turn (or a stream before
// its first token) writes nothing until the end; this is how it finds out.
#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <restinio/all.hpp>

#include "http/http_sink.hpp"

namespace troupe::http {

class connection_watch {
 public:
  // RESTinio's connection_state_listener_t interface.
  void state_changed(const restinio::connection_state::notice_t& notice) noexcept;

  // `sink` answers a request that arrived on connection `id`.
  void watch(restinio::connection_id_t id, const std::shared_ptr<http_sink>& sink);

  // Client connections open now (for /metrics).
  std::int64_t open_connections() const { return open_count_.load(std::memory_order_relaxed); }

 private:
  std::mutex mu_;
  // Per open connection, the sinks of its requests; answered ones expire
  // and are pruned on the next watch() of the same connection.
  std::unordered_map<restinio::connection_id_t, std::vector<std::weak_ptr<http_sink>>> open_;
  std::atomic<std::int64_t> open_count_{0};
};

}  // namespace troupe::http
