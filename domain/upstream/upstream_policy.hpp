#pragma once
// How a failed upstream call is judged: retried (with which delay) or turned
// into the client's error. Plain functions, so the rules are unit-tested.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/core/api_error.hpp"

namespace troupe::domain {

// Why an attempt ended without an answer.
enum class upstream_failure {
  none,
  http_status,  // the upstream answered 4xx/5xx
  connect,      // no connection (refused, DNS, connect timeout)
  transport,    // the connection broke during the exchange
  malformed,    // a body or stream that is not an OpenAI reply
  reported,     // a 2xx stream that carried an error event
  timeout,      // the provider's timeout_s passed
  cancelled,    // the client went away or the turn ended
};

struct upstream_outcome {
  upstream_failure failure = upstream_failure::none;
  int status = 0;               // HTTP status, when there was one
  std::string message;          // the upstream's message or what went wrong
  std::string param, code;      // from an upstream's OpenAI error body
  std::optional<std::int64_t> retry_after_ms;
  bool started = false;         // a token already reached the client
};

struct retry_policy {
  int retries = 2;               // attempts after the first
  std::int64_t base_ms = 250;    // first backoff; doubles each retry
  std::int64_t max_ms = 10000;   // cap of the computed backoff (Retry-After may exceed it)
};

// Connect errors, 429 and 5xx, before the first token.
bool worth_retrying(const upstream_outcome& o);

// The delay before retry number `retry` (1 = the first): exponential with
// "equal jitter" (half fixed, half random, `unit_random` in [0,1)), and never
// shorter than the upstream's Retry-After.
std::int64_t backoff_ms(const retry_policy& p, int retry, std::optional<std::int64_t> retry_after_ms,
                        double unit_random);

// Retry-After: delta-seconds or an HTTP-date; nullopt when unreadable.
std::optional<std::int64_t> parse_retry_after_ms(std::string_view value, std::int64_t now_ms);

// An upstream 4xx that the client's request caused (400, 404, 413, 422):
// it goes back to the client as it is, never retried, never to a fallback.
bool client_fault(const upstream_outcome& o);

// The client's error: a client fault with the upstream's status and message;
// 429 (retries spent) with Retry-After; 504 for a timeout; else 502 naming
// the provider and carrying the upstream's message.
api_error client_error(const upstream_outcome& o, std::string_view provider);

}  // namespace troupe::domain
