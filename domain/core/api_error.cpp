#include "domain/core/api_error.hpp"

#include "domain/core/json.hpp"
#include "domain/core/text_sanitize.hpp"

namespace troupe::domain {

namespace {
api_error make(int status, const char* type, std::string code, std::string message,
               std::string param) {
  return api_error{status, type, std::move(code), std::move(message), std::move(param)};
}
}  // namespace

api_error bad_request(std::string m, std::string p, std::string c) {
  return make(400, "invalid_request_error", std::move(c), std::move(m), std::move(p));
}
api_error unauthorized(std::string m) {
  return make(401, "authentication_error", "invalid_token", std::move(m), {});
}
api_error forbidden(std::string m, std::string p) {
  return make(403, "permission_error", "forbidden", std::move(m), std::move(p));
}
api_error not_found(std::string m, std::string c, std::string p) {
  return make(404, "invalid_request_error", std::move(c), std::move(m), std::move(p));
}
api_error method_not_allowed(std::string m) {
  return make(405, "invalid_request_error", "method_not_allowed", std::move(m), {});
}
api_error conflict(std::string m, std::string c, std::string p) {
  return make(409, "invalid_request_error", std::move(c), std::move(m), std::move(p));
}
api_error payload_too_large(std::string m) {
  return make(413, "invalid_request_error", "payload_too_large", std::move(m), {});
}
api_error unsupported_media_type(std::string m) {
  return make(415, "invalid_request_error", "unsupported_media_type", std::move(m), {});
}
api_error unprocessable(std::string m, std::string p) {
  return make(422, "invalid_request_error", "invalid_shape", std::move(m), std::move(p));
}
api_error internal_error(std::string m) {
  return make(500, "server_error", "internal_error", std::move(m), {});
}
api_error not_implemented(std::string m, std::string p) {
  return make(501, "server_error", "not_implemented", std::move(m), std::move(p));
}
api_error bad_gateway(std::string m) {
  return make(502, "server_error", "upstream_error", std::move(m), {});
}
api_error service_unavailable(std::string m) {
  return make(503, "server_error", "unavailable", std::move(m), {});
}
api_error gateway_timeout(std::string m) {
  return make(504, "server_error", "timeout", std::move(m), {});
}

api_error too_many_requests(std::string m, std::int64_t retry_after_s, std::string c) {
  auto e = make(429, "rate_limit_error", std::move(c), std::move(m), {});
  e.retry_after_s = retry_after_s;
  return e;
}

// Messages and params may quote client input: valid UTF-8, bounded, always.
static std::string safe_message(const api_error& e) {
  return cap_utf8(to_valid_utf8(e.message), 2048);
}

void write_error_object(rapidjson::Writer<rapidjson::StringBuffer>& w, const api_error& e) {
  w.StartObject();
  w.Key("message");
  w.String(safe_message(e));
  w.Key("type");
  w.String(e.type);
  w.Key("param");
  if (e.param.empty())
    w.Null();
  else
    w.String(cap_utf8(to_valid_utf8(e.param), 256));
  w.Key("code");
  w.String(e.code);
  w.EndObject();
}

std::string encode_error(const api_error& e) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("error");
  write_error_object(w, e);
  w.Key("detail");
  w.String(safe_message(e));
  w.EndObject();
  return out.str();
}

}  // namespace troupe::domain
