#include "domain/service/http_rules.hpp"
#include "domain/core/text_sanitize.hpp"
#include "http/api_context.hpp"

namespace troupe::http {

void require_json_body(const exchange& x, const api_context& ctx) {
  auto size = x.req->body().size();
  if (size > ctx.opts.max_body_bytes)
    throw domain::payload_too_large("request body of " + std::to_string(size) +
                                    " bytes exceeds the limit of " +
                                    std::to_string(ctx.opts.max_body_bytes) + " bytes");
  auto ct = x.req->header().opt_value_of(restinio::http_field::content_type);
  if (ct && !domain::is_json_content_type(*ct))
    throw domain::unsupported_media_type("Content-Type must be application/json, got '" +
                                         domain::echo({ct->data(), ct->size()}) + "'");
}

std::optional<std::string> owner_scope(const exchange& x) {
  if (x.who.admin()) return std::nullopt;
  return x.who.user_id();
}

void send_json(const exchange& x, int status, std::string body) {
  x.sink->send(status, std::move(body));
}

}  // namespace troupe::http
