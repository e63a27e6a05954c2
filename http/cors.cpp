#include "http/cors.hpp"

#include <algorithm>

#include "actors/reply_sink.hpp"

namespace troupe::http {

namespace {

// What a browser script may read of a response besides the simple headers.
constexpr const char* exposed =
    "X-Request-Id, Retry-After, retry-after-ms, x-ratelimit-limit-requests, "
    "x-ratelimit-remaining-requests, x-ratelimit-reset-requests, x-ratelimit-limit-tokens, "
    "x-ratelimit-remaining-tokens, x-ratelimit-reset-tokens, X-Troupe-Node, Idempotent-Replayed";
constexpr const char* default_headers =
    "Authorization, Content-Type, Idempotency-Key, X-Request-Id, X-Runtime-Token";

std::optional<std::string> header(const restinio::request_handle_t& req, const char* name) {
  auto v = req->header().opt_value_of(name);
  if (!v) return std::nullopt;
  return std::string(v->data(), v->size());
}

bool allowed(const std::string& origin, const std::vector<std::string>& origins) {
  return std::any_of(origins.begin(), origins.end(),
                     [&](const std::string& o) { return o == "*" || o == origin; });
}

// A header list the browser asks for, echoed only if it is a plain token list.
bool plain_list(const std::string& s) {
  return s.size() <= 2048 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '-' || c == '_' || c == ',' || c == ' ';
         });
}

}  // namespace

void add_cors_headers(const restinio::request_handle_t& req, http_sink& sink,
                      const std::vector<std::string>& origins) {
  if (origins.empty()) return;
  sink.add_header("Vary", "Origin");
  auto origin = header(req, "Origin");
  if (!origin || !allowed(*origin, origins)) return;
  sink.add_header("Access-Control-Allow-Origin", *origin);
  sink.add_header("Access-Control-Expose-Headers", exposed);
}

bool answer_preflight(const restinio::request_handle_t& req, const router::match_result& m,
                      http_sink& sink, const std::vector<std::string>& origins) {
  if (origins.empty() || req->header().method() != restinio::http_method_options()) return false;
  auto origin = header(req, "Origin");
  auto wanted = header(req, "Access-Control-Request-Method");
  if (!origin || !wanted || !m.pattern) return false;
  if (!allowed(*origin, origins)) {
    actors::send_error(sink, domain::forbidden("origin '" + *origin + "' is not allowed (--cors-origins)"));
    return true;
  }
  auto asked = header(req, "Access-Control-Request-Headers");
  sink.add_header("Access-Control-Allow-Methods", m.allow.empty() ? *wanted : m.allow);
  sink.add_header("Access-Control-Allow-Headers",
                  asked && plain_list(*asked) ? *asked : std::string(default_headers));
  sink.add_header("Access-Control-Max-Age", "600");
  sink.send_empty(204);
  return true;
}

}  // namespace troupe::http
