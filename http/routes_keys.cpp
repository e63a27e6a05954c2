// /v1/keys: user keys, managed with the admin token (see check_access).
#include "actors/key_messages.hpp"
#include "domain/core/clock.hpp"
#include "domain/keys/key_codec.hpp"
#include "http/api_context.hpp"
#include "http/query.hpp"

namespace troupe::http {

namespace {

domain::api_error key_not_found(const std::string& id) {
  return domain::not_found("key '" + id + "' not found", "key_not_found");
}

domain::key_patch parse_patch(const exchange& x, const api_context& ctx, bool create) {
  require_json_body(x, ctx);
  return domain::parse_key_patch(x.req->body(), create, domain::now_ms());
}

}  // namespace

void add_key_routes(router& r, const api_context& ctx) {
  using namespace restinio;
  r.add(http_method_post(), "/v1/keys", [&ctx](const exchange& x) {
    auto sink = x.sink;
    ask(ctx, ctx.rt.keys, actors::create_key{parse_patch(x, ctx, true)}, sink,
        [sink](const actors::key_created& k) {
          sink->send(201, domain::encode_key_created(k.key, k.secret));
        });
  });

  r.add(http_method_get(), "/v1/keys", [&ctx](const exchange& x) {
    auto q = query_of(x);
    domain::key_query kq;
    kq.user_id = q.text("user_id");
    kq.limit = q.limit("limit", kq.limit);
    kq.offset = q.offset("offset");
    auto sink = x.sink;
    ask(ctx, ctx.rt.keys, actors::list_keys{kq}, sink,
        [sink](const actors::key_list& l) { sink->send(200, domain::encode_key_list(l.keys)); });
  });

  r.add(http_method_get(), "/v1/keys/:id", [&ctx](const exchange& x) {
    auto sink = x.sink;
    auto id = x.params[0];
    ask(ctx, ctx.rt.keys, actors::get_key{id}, sink, [sink, id](const actors::found_key& f) {
      if (!f.key) return actors::send_error(*sink, key_not_found(id));
      sink->send(200, domain::encode_key(*f.key));
    });
  });

  r.add(http_method_patch(), "/v1/keys/:id", [&ctx](const exchange& x) {
    auto sink = x.sink;
    ask(ctx, ctx.rt.keys, actors::update_key{x.params[0], parse_patch(x, ctx, false)}, sink,
        [sink](const actors::key_reply& k) { sink->send(200, domain::encode_key(k.key)); });
  });

  r.add(http_method_delete(), "/v1/keys/:id", [&ctx](const exchange& x) {
    auto sink = x.sink;
    auto id = x.params[0];
    ask(ctx, ctx.rt.keys, actors::delete_key{id}, sink, [sink, id](const actors::deleted& d) {
      if (!d.existed) return actors::send_error(*sink, key_not_found(id));
      sink->send_empty(204);
    });
  });
}

}  // namespace troupe::http
