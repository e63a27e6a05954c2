#include "http/intake_gate.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>
#include <random>

namespace troupe::http {

namespace {

constexpr std::size_t kept_target = 128;  // of a refused request's target, for the log

intake_gate* gate_of(http_parser* p) { return static_cast<intake_gate*>(p->data); }

std::string random_hex(std::size_t digits) {
  std::random_device rd;
  std::string out;
  while (out.size() < digits) {
    auto v = rd();
    for (int i = 0; i < 8 && out.size() < digits; ++i, v >>= 4) out += "0123456789abcdef"[v & 15];
  }
  return out;
}

std::string note_text(std::uint64_t connection, int status, std::string_view code,
                      std::uint64_t amount) {
  return std::to_string(connection) + " " + std::to_string(status) + " " + std::string(code) +
         " " + std::to_string(amount);
}

}  // namespace

const std::string& intake_header_name() {
  static const std::string name = "x-troupe-intake-" + random_hex(32);
  return name;
}

std::optional<intake_note> parse_intake_note(std::string_view v) {
  intake_note n;
  auto number = [&](auto& out) {
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc{}) return false;
    v.remove_prefix(static_cast<std::size_t>(end - v.data()));
    if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    return true;
  };
  if (!number(n.connection) || !number(n.status)) return std::nullopt;
  auto space = v.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  n.code = std::string(v.substr(0, space));
  v.remove_prefix(space + 1);
  if (!number(n.amount)) return std::nullopt;
  return n;
}

intake_gate::intake_gate(const intake_limits& limits, body_budget* budget, std::uint64_t connection)
    : limits_(limits), budget_(budget), connection_(connection) {}

intake_gate::~intake_gate() {
  if (!budget_) return;
  budget_->release(reserved_);
  for (auto& r : ready_) budget_->release(r.reserved);
}

const http_parser_settings& intake_gate::settings() {
  static const http_parser_settings s = [] {
    http_parser_settings x;
    http_parser_settings_init(&x);
    x.on_url = &intake_gate::on_url;
    x.on_header_field = &intake_gate::on_header_field;
    x.on_header_value = &intake_gate::on_header_value;
    x.on_headers_complete = &intake_gate::on_headers_complete;
    x.on_body = &intake_gate::on_body;
    x.on_message_complete = &intake_gate::on_message_complete;
    return x;
  }();
  return s;
}

void intake_gate::feed(const char* data, std::size_t n, clock::time_point now) {
  std::size_t i = 0;
  while (i < n && !refused_) {
    if (!in_request_) {
      while (i < n && (data[i] == '\r' || data[i] == '\n')) ++i;  // between requests, as http_parser
      if (i == n) return;
      start_request(now);
    }
    chunk_begin_ = data + i;
    chunk_offset_ = held_.size();
    auto parsed = http_parser_execute(&parser_, &settings(), data + i, n - i);
    held_.append(data + i, parsed);
    i += parsed;
    if (complete_) {
      pass_request();
      continue;
    }
    if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK) return refuse_parse_error();
    // Chunk framing counts too: a body of tiny chunks may not take 6x the limit.
    if (headers_done_ && held_.size() - head_size_ > 2 * limits_.max_body + 4096)
      return refuse(413, "payload_too_large", 0);
  }
}

std::size_t intake_gate::take(char* out, std::size_t cap) {
  std::size_t n = 0;
  while (n < cap && !ready_.empty()) {
    auto& r = ready_.front();
    auto k = std::min(cap - n, r.bytes.size() - r.taken);
    std::memcpy(out + n, r.bytes.data() + r.taken, k);
    n += k;
    r.taken += k;
    if (r.taken < r.bytes.size()) break;
    // Handed on whole: the handler's sink counts the body from here.
    if (budget_) budget_->release(r.reserved);
    ready_.pop_front();
  }
  return n;
}

std::optional<intake_gate::clock::time_point> intake_gate::deadline() const {
  if (!in_request_) return std::nullopt;
  return started_ + limits_.read_timeout;
}

bool intake_gate::expire(clock::time_point now) {
  if (!in_request_ || refused_ || now < started_ + limits_.read_timeout) return false;
  refuse(408, "request_timeout", static_cast<std::uint64_t>(limits_.read_timeout.count()));
  return true;
}

void intake_gate::start_request(clock::time_point now) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  in_request_ = true;
  started_ = now;
  held_.clear();
  target_.clear();
  target_size_ = fields_ = field_size_ = head_size_ = 0;
  in_value_ = true;
  headers_done_ = complete_ = false;
  body_ = 0;
  verdict_status_ = 0;
}

void intake_gate::pass_request() {
  // Our header goes right after the request line (the first LF: leading
  // empty lines were skipped, and a request line holds no LF).
  auto line_end = held_.find('\n');
  held_.insert(line_end + 1, intake_header_name() + ": " + note_text(connection_, 0, "ok", 0) + "\r\n");
  ready_.push_back({std::move(held_), 0, reserved_});
  held_ = std::string();
  reserved_ = 0;
  in_request_ = false;
}

void intake_gate::refuse(int status, std::string code, std::uint64_t amount) {
  refused_ = true;
  if (budget_) budget_->release(reserved_);
  reserved_ = 0;
  // The stand-in keeps the method and the start of the target for the log,
  // if they were read; CONNECT would make http_parser expect another protocol.
  std::string method = "GET", target = "*";
  if (target_size_ > 0 && parser_.method != HTTP_CONNECT) {
    method = http_method_str(static_cast<http_method>(parser_.method));
    if (target_.front() == '/') target = target_;
  }
  ready_.push_back({method + " " + target + " HTTP/1.1\r\n" + intake_header_name() + ": " +
                        note_text(connection_, status, code, amount) + "\r\n\r\n",
                    0, 0});
  held_ = std::string();
  in_request_ = false;
}

void intake_gate::refuse_parse_error() {
  if (verdict_status_) return refuse(verdict_status_, verdict_code_, verdict_amount_);
  auto err = HTTP_PARSER_ERRNO(&parser_);
  switch (err) {
    case HPE_HEADER_OVERFLOW:
      return refuse(431, "header_section_too_large", limits_.max_head);
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      return refuse(400, parser_.uses_transfer_encoding ? "content_length_with_transfer_encoding"
                                                        : "repeated_content_length");
    case HPE_INVALID_TRANSFER_ENCODING:  // 400, not RFC 9112's 501: a client's error, no 5xx
      return refuse(400, "unsupported_transfer_encoding");
    default:
      return refuse(400, "malformed_request", static_cast<std::uint64_t>(err));
  }
}

int intake_gate::fail(int status, const char* code, std::uint64_t amount) {
  verdict_status_ = status;
  verdict_code_ = code;
  verdict_amount_ = amount;
  return -1;
}

int intake_gate::check_head(const char* end) {
  if (headers_done_) return 0;
  head_size_ = chunk_offset_ + static_cast<std::size_t>(end - chunk_begin_);
  if (head_size_ > limits_.max_head) return fail(431, "header_section_too_large", limits_.max_head);
  return 0;
}

int intake_gate::on_url(http_parser* p, const char* at, std::size_t n) {
  auto* g = gate_of(p);
  g->target_size_ += n;
  if (g->target_.size() < kept_target)
    g->target_.append(at, std::min(n, kept_target - g->target_.size()));
  if (g->target_size_ > g->limits_.max_target)
    return g->fail(414, "uri_too_long", g->limits_.max_target);
  return g->check_head(at + n);
}

int intake_gate::on_header_field(http_parser* p, const char* at, std::size_t n) {
  auto* g = gate_of(p);
  if (g->in_value_) {
    g->in_value_ = false;
    g->field_size_ = 0;
    if (++g->fields_ > g->limits_.max_fields)
      return g->fail(431, "too_many_header_fields", g->limits_.max_fields);
  }
  g->field_size_ += n;
  if (g->field_size_ > g->limits_.max_field)
    return g->fail(431, "header_field_too_large", g->limits_.max_field);
  return g->check_head(at + n);
}

int intake_gate::on_header_value(http_parser* p, const char* at, std::size_t n) {
  auto* g = gate_of(p);
  g->in_value_ = true;
  g->field_size_ += n;
  if (g->field_size_ > g->limits_.max_field)
    return g->fail(431, "header_field_too_large", g->limits_.max_field);
  return g->check_head(at + n);
}

int intake_gate::on_headers_complete(http_parser* p) {
  auto* g = gate_of(p);
  g->headers_done_ = true;
  bool chunked = (p->flags & F_CHUNKED) != 0;
  bool has_length = !chunked && p->content_length != ULLONG_MAX;
  if (has_length && p->content_length > g->limits_.max_body)
    return g->fail(413, "payload_too_large", p->content_length);
  // Unknown size (chunked): the worst case is held until the body is in.
  std::size_t want = chunked ? g->limits_.max_body
                             : has_length ? static_cast<std::size_t>(p->content_length) : 0;
  if (want > 0 && g->budget_ && !g->budget_->try_reserve(want))
    return g->fail(503, "bodies_in_flight", 0);
  g->reserved_ = want;
  return 0;
}

int intake_gate::on_body(http_parser* p, const char*, std::size_t n) {
  auto* g = gate_of(p);
  g->body_ += n;
  if (g->body_ > g->limits_.max_body) return g->fail(413, "payload_too_large", 0);
  return 0;
}

int intake_gate::on_message_complete(http_parser* p) {
  gate_of(p)->complete_ = true;
  http_parser_pause(p, 1);  // one request at a time, as RESTinio does
  return 0;
}

}  // namespace troupe::http
