#pragma once
// reply_sink over a RESTinio request: writes the response from whichever
// thread the actor runs on (RESTinio posts it to the connection's strand),
// writes the access-log line when the response is complete, and notices a
// client that went away from a failed write.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <restinio/all.hpp>

#include "actors/reply_sink.hpp"
#include "http/body_budget.hpp"

namespace troupe::http {

// Requests not yet answered; the drain on shutdown waits for zero.
struct inflight_counter {
  std::atomic<std::int64_t> n{0};
};

using actors::header_list;

class http_sink final : public actors::reply_sink,
                        public std::enable_shared_from_this<http_sink> {
 public:
  // Counts the request's body against `bodies` until the sink is gone. A
  // stream whose client lets more than `max_unsent` bytes pile up is cut off.
  http_sink(restinio::request_handle_t req, std::shared_ptr<inflight_counter> inflight,
            std::shared_ptr<body_budget> bodies, std::size_t max_unsent);
  ~http_sink() override;

  void send(int status, std::string json_body) override;
  void send_empty(int status) override;
  void stream(std::string events) override;
  void end_stream(std::string last_events) override;
  // A client we cut off for not reading is not "gone": its turn completes and
  // is stored, only the rest of its stream is dropped.
  bool client_gone() const override {
    return gone_.load(std::memory_order_relaxed) && !cut_off_.load(std::memory_order_relaxed);
  }
  // The connection closed before the reply was finished (see connection_watch).
  void mark_client_gone() { gone_.store(true, std::memory_order_relaxed); }
  // The connection this request came on (intake_gate's id): to cut it off.
  void set_connection(std::uint64_t id) { connection_ = id; }
  void set_session(const std::string& id) override;

  void send_with_headers(int status, std::string json_body, const header_list& headers) override;

  // Headers every response to this request carries (CORS, rate limits);
  // added before the reply can be sent. A second value of a name replaces the first.
  void add_header(std::string name, std::string value) override;
  // X-Request-Id: on the response and in the access log line.
  void set_request_id(std::string id);
  std::string request_id() const override;
  // Runs once, when the reply is complete, with its status.
  void on_finish(std::function<void(int)> hook);
  // A whole reply that is not JSON (the Prometheus text format).
  void send_text(int status, const char* content_type, std::string body);
  // The same, then the connection closes (after a refused request).
  void send_and_close(int status, std::string json_body, const header_list& headers);

 private:
  using stream_builder = restinio::response_builder_t<restinio::chunked_output_t>;

  // Call with mu_ held; false when the reply was already finished.
  bool finish_locked(int status);
  void send_locked(int status, std::string json_body, const header_list& headers, bool close);
  void open_stream_locked();
  void flush_locked();
  void cut_off_locked();
  void log_access(int status);
  restinio::write_status_cb_t watch_write();
  restinio::write_status_cb_t after_flush();
  template <class Builder>
  void add_extra_headers(Builder& b) const {
    for (auto& [k, v] : extra_) b.append_header(k, v);
  }

  // Recursive: RESTinio may run a write callback inline when called on the
  // connection's own strand.
  mutable std::recursive_mutex mu_;
  restinio::request_handle_t req_;
  std::shared_ptr<inflight_counter> inflight_;
  std::shared_ptr<body_budget> bodies_;
  std::chrono::steady_clock::time_point start_;
  std::optional<stream_builder> stream_;
  std::string session_;
  std::string request_id_;
  header_list extra_;
  std::function<void(int)> finish_hook_;
  bool finished_ = false;
  bool flush_pending_ = false;  // a stream write is on the wire
  // Stream bytes not yet written to the socket: gathered while a write is on
  // the wire (one buffer: its memory is its size, and a large one goes back
  // to the system when freed), and the write on the wire.
  std::string gathered_;
  std::size_t writing_ = 0;
  std::size_t max_unsent_;
  std::uint64_t connection_ = 0;
  std::atomic<bool> gone_{false};
  std::atomic<bool> cut_off_{false};
};

std::shared_ptr<http_sink> make_sink(const restinio::request_handle_t& req,
                                     std::shared_ptr<inflight_counter> inflight,
                                     std::shared_ptr<body_budget> bodies, std::size_t max_unsent);

}  // namespace troupe::http
