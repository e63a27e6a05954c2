#pragma once
// One HTTP request's way back to its client. The HTTP layer implements it;
// actors write through it without knowing about HTTP. Thread-safe.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "domain/core/api_error.hpp"

namespace troupe::actors {

using header_list = std::vector<std::pair<std::string, std::string>>;

class reply_sink {
 public:
  virtual ~reply_sink() = default;
  // A whole JSON reply. Ignored when a reply was already sent.
  virtual void send(int status, std::string json_body) = 0;
  virtual void send_with_headers(int status, std::string json_body, const header_list& headers) = 0;
  // 204 No Content.
  virtual void send_empty(int status) = 0;
  // Server-Sent Events: the first call sends the 200 headers.
  virtual void stream(std::string events) = 0;
  virtual void end_stream(std::string last_events) = 0;
  // True once a write to the client failed (it went away).
  virtual bool client_gone() const = 0;
  // Names the session in the access log line.
  virtual void set_session(const std::string& id) = 0;
  // A header every response to this request carries; before the reply.
  virtual void add_header(std::string name, std::string value) {
    (void)name;
    (void)value;
  }
  // The request's X-Request-Id, for log lines about it ("" when unknown).
  virtual std::string request_id() const { return {}; }
};

using sink_ptr = std::shared_ptr<reply_sink>;

void send_error(reply_sink& sink, const domain::api_error& e);

}  // namespace troupe::actors
