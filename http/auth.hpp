#pragma once
// Who may do what. Tokens: the --token (admin) or a user key ("tr-…",
// checked against the key directory by its SHA-256, without asking an actor).
#include <string>
#include <string_view>

#include <restinio/all.hpp>

#include "http/caller.hpp"

namespace troupe::http {

struct api_context;

// The caller of a /v1 route. The admin token (or, with no token set, any
// request: loopback only) is the admin; a user key is its user. A token
// shaped like a user key must be a live one: unknown, revoked or expired is
// 401, token or not. Throws api_error 401.
caller authenticate(const restinio::request_handle_t& req, const api_context& ctx);

// Every /v1/keys route and every write to agents and templates is the
// admin's (403 for user keys).
void check_access(const caller& who, std::string_view method, std::string_view pattern);

// /metrics: the --metrics-token (or the admin token) when one is set, else
// loopback clients only. Throws 401/403.
void check_metrics_access(const restinio::request_handle_t& req, const api_context& ctx);

// The client's X-Request-Id when it is 1-128 of [A-Za-z0-9._:-], else a new one.
std::string request_id_of(const restinio::request_handle_t& req);

}  // namespace troupe::http
