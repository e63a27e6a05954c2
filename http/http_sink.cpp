#include "http/http_sink.hpp"

#include <strings.h>

#include <spdlog/spdlog.h>

#include "http/guarded_socket.hpp"

namespace troupe::http {

namespace {

restinio::http_status_line_t status_line(int status) {
  const char* reason = "Unknown";
  switch (status) {
    case 200: reason = "OK"; break;
    case 201: reason = "Created"; break;
    case 204: reason = "No Content"; break;
    case 400: reason = "Bad Request"; break;
    case 401: reason = "Unauthorized"; break;
    case 403: reason = "Forbidden"; break;
    case 404: reason = "Not Found"; break;
    case 405: reason = "Method Not Allowed"; break;
    case 408: reason = "Request Timeout"; break;
    case 409: reason = "Conflict"; break;
    case 413: reason = "Payload Too Large"; break;
    case 414: reason = "URI Too Long"; break;
    case 415: reason = "Unsupported Media Type"; break;
    case 422: reason = "Unprocessable Entity"; break;
    case 429: reason = "Too Many Requests"; break;
    case 431: reason = "Request Header Fields Too Large"; break;
    case 500: reason = "Internal Server Error"; break;
    case 501: reason = "Not Implemented"; break;
    case 502: reason = "Bad Gateway"; break;
    case 503: reason = "Service Unavailable"; break;
    case 504: reason = "Gateway Timeout"; break;
  }
  return restinio::http_status_line_t{restinio::http_status_code_t{static_cast<std::uint16_t>(status)},
                                      reason};
}

}  // namespace

http_sink::http_sink(restinio::request_handle_t req, std::shared_ptr<inflight_counter> inflight,
                     std::shared_ptr<body_budget> bodies, std::size_t max_unsent)
    : req_(std::move(req)), inflight_(std::move(inflight)), bodies_(std::move(bodies)),
      start_(std::chrono::steady_clock::now()), max_unsent_(max_unsent) {
  inflight_->n.fetch_add(1, std::memory_order_relaxed);
  bodies_->force(req_->body().size());
}

http_sink::~http_sink() {
  bodies_->release(req_->body().size());
  // Every request gets an answer, even one whose actors forgot it.
  std::lock_guard<std::recursive_mutex> guard{mu_};
  if (finished_) return;
  if (stream_) {
    finish_locked(200);
    stream_->done();
    return;
  }
  if (!finish_locked(500)) return;
  auto r = req_->create_response(status_line(500));
  r.append_header(restinio::http_field::content_type, "application/json");
  add_extra_headers(r);
  r.set_body(domain::encode_error(domain::internal_error("the request was dropped")));
  r.done();
}

std::shared_ptr<http_sink> make_sink(const restinio::request_handle_t& req,
                                     std::shared_ptr<inflight_counter> inflight,
                                     std::shared_ptr<body_budget> bodies, std::size_t max_unsent) {
  return std::make_shared<http_sink>(req, std::move(inflight), std::move(bodies), max_unsent);
}

void http_sink::set_session(const std::string& id) {
  std::lock_guard<std::recursive_mutex> guard{mu_};
  session_ = id;
}

void http_sink::add_header(std::string name, std::string value) {
  std::lock_guard<std::recursive_mutex> guard{mu_};
  // One value per name: a forwarded turn's owner node says who ran it and
  // what its limits left, over what the first node put there.
  for (auto& [k, v] : extra_)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) {
      v = std::move(value);
      return;
    }
  extra_.emplace_back(std::move(name), std::move(value));
}

void http_sink::set_request_id(std::string id) {
  std::lock_guard<std::recursive_mutex> guard{mu_};
  extra_.emplace_back("X-Request-Id", id);
  request_id_ = std::move(id);
}

std::string http_sink::request_id() const {
  std::lock_guard<std::recursive_mutex> guard{mu_};
  return request_id_;
}

void http_sink::on_finish(std::function<void(int)> hook) {
  std::lock_guard<std::recursive_mutex> guard{mu_};
  finish_hook_ = std::move(hook);
}

bool http_sink::finish_locked(int status) {
  if (finished_) return false;
  finished_ = true;
  log_access(status);
  if (finish_hook_) finish_hook_(status);
  inflight_->n.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

void http_sink::log_access(int status) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - start_)
                .count();
  auto& h = req_->header();
  spdlog::info("{} {} {} {:.3f}ms session={} request_id={}", h.method().c_str(), h.path(), status,
               us / 1000.0, session_.empty() ? "-" : session_,
               request_id_.empty() ? "-" : request_id_);
}

restinio::write_status_cb_t http_sink::watch_write() {
  return [self = shared_from_this()](const restinio::asio_ns::error_code& ec) {
    if (ec) self->gone_.store(true, std::memory_order_relaxed);
  };
}

void http_sink::send(int status, std::string json_body) {
  send_with_headers(status, std::move(json_body), {});
}

void http_sink::send_with_headers(int status, std::string json_body, const header_list& headers) {
  std::lock_guard<std::recursive_mutex> guard{mu_};
  send_locked(status, std::move(json_body), headers, false);
}

void http_sink::send_and_close(int status, std::string json_body, const header_list& headers) {
  std::lock_guard<std::recursive_mutex> guard{mu_};
  send_locked(status, std::move(json_body), headers, true);
}

void http_sink::send_locked(int status, std::string json_body, const header_list& headers,
                            bool close) {
  if (stream_ || !finish_locked(status)) return;
  auto r = req_->create_response(status_line(status));
  r.append_header(restinio::http_field::content_type, "application/json");
  add_extra_headers(r);
  for (auto& [k, v] : headers) r.append_header(k, v);
  if (close) r.connection_close();
  r.set_body(std::move(json_body));
  r.done(watch_write());
}

void http_sink::send_empty(int status) {
  std::lock_guard<std::recursive_mutex> guard{mu_};
  if (stream_ || !finish_locked(status)) return;
  auto r = req_->create_response(status_line(status));
  add_extra_headers(r);
  r.done(watch_write());
}

void http_sink::send_text(int status, const char* content_type, std::string body) {
  std::lock_guard<std::recursive_mutex> guard{mu_};
  if (stream_ || !finish_locked(status)) return;
  auto r = req_->create_response(status_line(status));
  r.append_header(restinio::http_field::content_type, content_type);
  add_extra_headers(r);
  r.set_body(std::move(body));
  r.done(watch_write());
}

void http_sink::open_stream_locked() {
  if (stream_) return;
  stream_.emplace(req_->create_response<restinio::chunked_output_t>(status_line(200)));
  stream_->append_header(restinio::http_field::content_type, "text/event-stream")
      .append_header(restinio::http_field::cache_control, "no-cache")
      .append_header("X-Accel-Buffering", "no");
  add_extra_headers(*stream_);
}

void http_sink::stream(std::string events) {
  std::lock_guard<std::recursive_mutex> guard{mu_};
  if (finished_ || cut_off_) return;
  open_stream_locked();
  // One write on the wire at a time: events that arrive meanwhile go out
  // together, as one chunk, when it completes (no delay for the first, fewer
  // syscalls and allocations after).
  gathered_ += events;
  if (gathered_.size() + writing_ > max_unsent_) return cut_off_locked();
  if (!flush_pending_) flush_locked();
}

void http_sink::flush_locked() {
  flush_pending_ = true;
  writing_ = gathered_.size();
  stream_->append_chunk(std::move(gathered_));
  gathered_ = std::string();
  stream_->flush(after_flush());
}

// The client does not read: holding its output would grow memory without
// bound. Close its connection; the turn goes on and is stored.
void http_sink::cut_off_locked() {
  cut_off_ = true;
  spdlog::warn("{} {}: client does not read its stream ({} bytes unsent, limit {}): disconnected",
               req_->header().method().c_str(), req_->header().path(),
               gathered_.size() + writing_, max_unsent_);
  gathered_ = std::string();
  abort_connection(connection_);
}

restinio::write_status_cb_t http_sink::after_flush() {
  return [self = shared_from_this()](const restinio::asio_ns::error_code& ec) {
    if (ec) self->gone_.store(true, std::memory_order_relaxed);
    std::lock_guard<std::recursive_mutex> guard{self->mu_};
    self->flush_pending_ = false;
    self->writing_ = 0;
    if (ec || self->finished_ || self->cut_off_ || self->gathered_.empty()) return;
    self->flush_locked();
  };
}

void http_sink::end_stream(std::string last_events) {
  std::lock_guard<std::recursive_mutex> guard{mu_};
  if (finished_) return;
  open_stream_locked();
  finish_locked(200);
  if (!cut_off_) {
    gathered_ += last_events;
    stream_->append_chunk(std::move(gathered_));
    gathered_ = std::string();
  }
  stream_->done(watch_write());
}

}  // namespace troupe::http
