// GET /v1/usage: token and request totals per day, agent, key or user.
#include "actors/key_messages.hpp"
#include "domain/keys/usage.hpp"
#include "http/api_context.hpp"
#include "http/query.hpp"

namespace troupe::http {

void add_usage_routes(router& r, const api_context& ctx) {
  r.add(restinio::http_method_get(), "/v1/usage", [&ctx](const exchange& x) {
    auto q = query_of(x);
    auto uq = domain::parse_usage_query(q.text("user_id"), q.text("key_id"), q.text("agent_id"),
                                        q.text("from"), q.text("to"), q.text("group_by"));
    if (!x.who.admin()) {  // a user key sees its user's usage only
      if (!uq.user_id.empty() && uq.user_id != x.who.user_id())
        throw domain::forbidden("a user key reads its own user's usage only", "user_id");
      uq.user_id = x.who.user_id();
    }
    auto sink = x.sink;
    ask(ctx, ctx.rt.usage, actors::query_usage{uq}, sink, [sink, uq](const actors::usage_report& r) {
      sink->send(200, domain::encode_usage_report(uq, r.groups));
    });
  });
}

}  // namespace troupe::http
