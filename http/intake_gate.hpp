#pragma once
// What RESTinio's parser sees of a connection (fed by guarded_socket).
//
// RESTinio 0.6.16 answers nothing when a request breaks its limits or the
// HTTP grammar: it closes the connection. The gate runs its own http_parser
// ahead of RESTinio's, holds each request until it is complete and within
// our limits, and only then hands it on, with one header added that tells
// our handler which connection it came from. A request that is not complete
// in time, too large, or malformed is dropped unseen and replaced by a small
// well-formed one whose header carries the verdict (408, 413, 414, 431, 400,
// 503); the handler answers that status and the connection closes.
// Because the replacement goes through RESTinio like any request, it is
// answered in order behind requests still running on the connection.
#include <http_parser.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "http/body_budget.hpp"

namespace troupe::http {

struct intake_limits {
  std::size_t max_target = 8 << 10;  // request target: 414 above
  std::size_t max_field = 16 << 10;  // one header field, name and value: 431 above
  std::size_t max_fields = 100;      // header fields (and trailers): 431 above
  std::size_t max_head = 64 << 10;   // request line and headers: 431 above
  std::size_t max_body = 1 << 20;    // 413 above
  std::chrono::milliseconds read_timeout{60000};  // from a request's first byte: 408 after
};

// The header the gate adds to every request it hands on.
struct intake_note {
  std::uint64_t connection = 0;  // guarded_socket's id of the connection
  int status = 0;                // 0: the request passed; else the verdict to answer
  std::string code;              // why, e.g. "uri_too_long"
  std::uint64_t amount = 0;      // e.g. the announced body size
};
// The header's name: random per process, so no client can send it.
const std::string& intake_header_name();
std::optional<intake_note> parse_intake_note(std::string_view value);

class intake_gate {
 public:
  using clock = std::chrono::steady_clock;

  intake_gate(const intake_limits& limits, body_budget* budget, std::uint64_t connection);
  ~intake_gate();
  intake_gate(const intake_gate&) = delete;
  intake_gate& operator=(const intake_gate&) = delete;

  // Bytes from the client; ignored once a verdict is out.
  void feed(const char* data, std::size_t n, clock::time_point now);
  // Bytes for RESTinio's parser (whole requests), at most `cap`.
  std::size_t take(char* out, std::size_t cap);
  bool has_output() const { return !ready_.empty(); }
  // A verdict was issued: input is discarded from now on.
  bool refused() const { return refused_; }
  // When the request under way (first byte arrived) must be complete.
  std::optional<clock::time_point> deadline() const;
  // Past the deadline: the request becomes a 408. True if it did.
  bool expire(clock::time_point now);

 private:
  struct ready_request {
    std::string bytes;
    std::size_t taken = 0;
    std::size_t reserved = 0;  // of the body budget, released once handed on
  };

  static int on_url(http_parser* p, const char* at, std::size_t n);
  static int on_header_field(http_parser* p, const char* at, std::size_t n);
  static int on_header_value(http_parser* p, const char* at, std::size_t n);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, std::size_t n);
  static int on_message_complete(http_parser* p);
  static const http_parser_settings& settings();

  void start_request(clock::time_point now);
  void pass_request();
  // Drops the request under way and queues the stand-in carrying the verdict.
  void refuse(int status, std::string code, std::uint64_t amount = 0);
  int fail(int status, const char* code, std::uint64_t amount = 0);  // from a callback
  void refuse_parse_error();
  // 431 once the request line and headers so far (up to `end`) exceed the limit.
  int check_head(const char* end);

  intake_limits limits_;
  body_budget* budget_;
  std::uint64_t connection_;
  http_parser parser_{};
  std::deque<ready_request> ready_;
  bool refused_ = false;

  // The request under way.
  bool in_request_ = false;
  clock::time_point started_{};
  std::string held_;
  std::string target_;  // its first bytes, for the stand-in's request line
  std::size_t target_size_ = 0;
  std::size_t fields_ = 0;
  std::size_t field_size_ = 0;
  std::size_t head_size_ = 0;
  const char* chunk_begin_ = nullptr;  // the bytes http_parser is working on,
  std::size_t chunk_offset_ = 0;       // and where they start in held_
  bool in_value_ = true;
  bool headers_done_ = false;
  std::uint64_t body_ = 0;
  std::size_t reserved_ = 0;
  bool complete_ = false;
  // A callback's verdict, waiting for http_parser to return.
  int verdict_status_ = 0;
  std::string verdict_code_;
  std::uint64_t verdict_amount_ = 0;
};

}  // namespace troupe::http
