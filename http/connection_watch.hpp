#pragma once
// Learns from RESTinio when a client connection closes and marks the chat
// turns still running on it as gone, so their upstream calls stop. A stream
// also notices from a failed write, but a non-stream turn (or a stream before
// its first token) writes nothing until the end; this is how it finds out.
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

 private:
  std::mutex mu_;
  // Per open connection, the sinks of its requests; answered ones expire
  // and are pruned on the next watch() of the same connection.
  std::unordered_map<restinio::connection_id_t, std::vector<std::weak_ptr<http_sink>>> open_;
};

}  // namespace troupe::http
