#include "domain/upstream/upstream_policy.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>

namespace troupe::domain {

bool worth_retrying(const upstream_outcome& o) {
  if (o.started) return false;
  if (o.failure == upstream_failure::connect) return true;
  return o.failure == upstream_failure::http_status && (o.status == 429 || o.status >= 500);
}

std::int64_t backoff_ms(const retry_policy& p, int retry, std::optional<std::int64_t> retry_after_ms,
                        double unit_random) {
  int doublings = std::clamp(retry - 1, 0, 30);
  auto full = std::min<std::int64_t>(p.max_ms, p.base_ms << doublings);
  auto jittered = full / 2 + static_cast<std::int64_t>(static_cast<double>(full - full / 2) *
                                                       std::clamp(unit_random, 0.0, 1.0));
  return std::max<std::int64_t>(jittered, retry_after_ms.value_or(0));
}

std::optional<std::int64_t> parse_retry_after_ms(std::string_view v, std::int64_t now_ms) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) return std::nullopt;  // over ~30 years: nonsense
    return std::stoll(std::string(v)) * 1000;
  }
  std::tm tm{};
  std::string text(v);
  auto* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  auto at_ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  return std::max<std::int64_t>(0, at_ms - now_ms);
}

bool client_fault(const upstream_outcome& o) {
  return o.failure == upstream_failure::http_status &&
         (o.status == 400 || o.status == 404 || o.status == 413 || o.status == 422);
}

namespace {

api_error from_upstream_status(const upstream_outcome& o, std::string_view provider) {
  if (client_fault(o)) {
    api_error e{o.status, "invalid_request_error",
                o.code.empty() ? "upstream_rejected" : o.code, o.message, o.param};
    return e;
  }
  if (o.status == 429) {
    auto secs = o.retry_after_ms ? (*o.retry_after_ms + 999) / 1000 : 1;
    return too_many_requests(fmt::format("provider '{}' is rate limited: {}", provider, o.message),
                             std::max<std::int64_t>(1, secs));
  }
  if (o.status == 401 || o.status == 403)
    return bad_gateway(fmt::format("provider '{}' refused Troupe's credentials ({}): {}; check "
                                   "its api_key in the services file",
                                   provider, o.status, o.message));
  return bad_gateway(fmt::format("provider '{}' answered {}: {}", provider, o.status, o.message));
}

}  // namespace

api_error client_error(const upstream_outcome& o, std::string_view provider) {
  using f = upstream_failure;
  switch (o.failure) {
    case f::timeout:
      return gateway_timeout(fmt::format("provider '{}' did not answer in time: {}", provider,
                                         o.message));
    case f::http_status:
      return from_upstream_status(o, provider);
    case f::connect:
      return bad_gateway(fmt::format("provider '{}' is unreachable: {}", provider, o.message));
    case f::malformed:
      return bad_gateway(fmt::format("provider '{}' sent a malformed reply: {}", provider,
                                     o.message));
    case f::cancelled:
      return bad_gateway(fmt::format("the call to provider '{}' was cancelled: {}", provider,
                                     o.message));
    case f::transport:
    case f::reported:
    case f::none:
      break;
  }
  return bad_gateway(fmt::format("provider '{}' failed: {}", provider, o.message));
}

}  // namespace troupe::domain
