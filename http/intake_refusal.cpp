#include "http/intake_refusal.hpp"

#include <fmt/format.h>

namespace troupe::http {

namespace {

domain::api_error refusal_error(const intake_note& n, const intake_limits& l) {
  auto err = [&](int status, std::string message) {
    return domain::api_error{status, status < 500 ? "invalid_request_error" : "server_error",
                             n.code, std::move(message), {}};
  };
  const auto& c = n.code;
  if (c == "request_timeout")
    return err(408, fmt::format("the request was not complete within {} s of its first byte",
                                l.read_timeout.count() / 1000.0));
  if (c == "payload_too_large")
    return err(413, n.amount ? fmt::format("request body of {} bytes exceeds the limit of {} bytes",
                                           n.amount, l.max_body)
                             : fmt::format("request body exceeds the limit of {} bytes", l.max_body));
  if (c == "uri_too_long")
    return err(414, fmt::format("request target longer than {} bytes", l.max_target));
  if (c == "too_many_header_fields")
    return err(431, fmt::format("more than {} header fields", l.max_fields));
  if (c == "header_field_too_large")
    return err(431, fmt::format("a header field longer than {} bytes", l.max_field));
  if (c == "header_section_too_large")
    return err(431, fmt::format("request line and headers longer than {} bytes", l.max_head));
  if (c == "content_length_with_transfer_encoding")
    return err(400, "Content-Length together with Transfer-Encoding");
  if (c == "repeated_content_length") return err(400, "more than one Content-Length");
  if (c == "unsupported_transfer_encoding")
    return err(400, "only Transfer-Encoding: chunked is supported");
  if (c == "bodies_in_flight")
    return err(503, "too many request bodies in flight; retry shortly");
  return err(400, fmt::format("malformed HTTP request: {}",
                              http_errno_description(static_cast<http_errno>(n.amount))));
}

}  // namespace

std::optional<intake_note> intake_note_of(const restinio::request_handle_t& req) {
  auto v = req->header().opt_value_of(intake_header_name());
  if (!v) return std::nullopt;
  return parse_intake_note(std::string_view(v->data(), v->size()));
}

void answer_refusal(http_sink& sink, const intake_note& note, const intake_limits& limits) {
  auto e = refusal_error(note, limits);
  header_list headers;
  if (e.status == 503) headers.emplace_back("Retry-After", "1");
  sink.send_and_close(e.status, domain::encode_error(e), headers);
}

}  // namespace troupe::http
