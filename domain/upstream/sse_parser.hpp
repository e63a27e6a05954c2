#pragma once
// Server-Sent Events, incrementally: bytes arrive in chunks cut anywhere (even
// inside a CRLF or a UTF-8 sequence); whole events come out. Only `data:`
// fields matter to an OpenAI stream; comments and other fields are skipped.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace troupe::domain {

class sse_parser {
 public:
  // Gets each event's data (its data lines joined by '\n'); returns false to stop.
  using on_event = std::function<bool(std::string_view data)>;

  explicit sse_parser(std::size_t max_event_bytes = 4u << 20) : max_event_bytes_(max_event_bytes) {}

  // False when the callback stopped or an event grew past max_event_bytes
  // (then overflowed() is true); the parser must not be fed again after that.
  bool feed(std::string_view bytes, const on_event& f);
  // The stream ended: an event that lacks only its blank line still counts.
  bool finish(const on_event& f);
  bool overflowed() const { return overflowed_; }

 private:
  bool end_of_line(const on_event& f);

  std::size_t max_event_bytes_;
  std::string line_;
  std::string data_;
  bool has_data_ = false;
  bool after_cr_ = false;  // a '\n' right after '\r' ends no second line
  bool overflowed_ = false;
};

}  // namespace troupe::domain
