#include "http/auth.hpp"

#include <optional>

#include "domain/core/clock.hpp"
#include "domain/core/ids.hpp"
#include "domain/keys/key_secret.hpp"
#include "domain/service/http_rules.hpp"
#include "http/api_context.hpp"

namespace troupe::http {

namespace {

std::optional<std::string_view> presented_token(const restinio::request_handle_t& req) {
  auto& h = req->header();
  if (auto t = h.opt_value_of("X-Runtime-Token")) return std::string_view(t->data(), t->size());
  if (auto a = h.opt_value_of(restinio::http_field::authorization))
    return domain::bearer_credentials(std::string_view(a->data(), a->size()));
  return std::nullopt;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

caller authenticate(const restinio::request_handle_t& req, const api_context& ctx) {
  auto token = presented_token(req);
  auto& admin = ctx.opts.token;
  if (token && !admin.empty() && domain::constant_time_equal(*token, admin)) return caller{};
  if (token && domain::looks_like_user_key(*token)) {
    auto grant = ctx.rt.key_directory->find(domain::sha256_hex(*token));
    if (!grant) throw domain::unauthorized("invalid API key: unknown or revoked");
    if (grant->key->expired(domain::now_ms()))
      throw domain::unauthorized("API key '" + grant->key->prefix + "…' expired at " +
                                 domain::iso8601(*grant->key->expires_at_ms));
    return caller{std::move(*grant)};
  }
  if (admin.empty()) return caller{};
  throw domain::unauthorized(
      "missing or invalid API token: send 'Authorization: Bearer <token>' or "
      "'X-Runtime-Token: <token>'");
}

void check_access(const caller& who, std::string_view method, std::string_view pattern) {
  if (who.admin()) return;
  bool write = method != "GET" && method != "HEAD";
  if (starts_with(pattern, "/v1/keys") ||
      (write && (starts_with(pattern, "/v1/agents") || starts_with(pattern, "/v1/templates"))))
    throw domain::forbidden("this route is for the admin token; a user key may not use it");
}

void check_metrics_access(const restinio::request_handle_t& req, const api_context& ctx) {
  auto& want = ctx.opts.metrics_token;
  if (want.empty()) {
    if (!req->remote_endpoint().address().is_loopback())
      throw domain::forbidden(
          "metrics are served to loopback clients only; set --metrics-token to scrape remotely");
    return;
  }
  auto token = presented_token(req);
  bool ok = token && (domain::constant_time_equal(*token, want) ||
                      (!ctx.opts.token.empty() && domain::constant_time_equal(*token, ctx.opts.token)));
  if (!ok) throw domain::unauthorized("missing or invalid metrics token: send 'Authorization: Bearer <token>'");
}

std::string request_id_of(const restinio::request_handle_t& req) {
  if (auto id = req->header().opt_value_of("X-Request-Id")) {
    std::string_view v(id->data(), id->size());
    if (domain::valid_id(v)) return std::string(v);
  }
  return domain::new_id("req-");
}

}  // namespace troupe::http
