// /v1/sessions: the server-side conversations.
#include "domain/chat/session_info.hpp"
#include "domain/core/text_sanitize.hpp"
#include "http/api_context.hpp"
#include "http/query.hpp"

namespace troupe::http {

namespace {
domain::api_error session_not_found(const std::string& id) {
  return domain::not_found("session '" + domain::echo(id) + "' not found", "session_not_found");
}

// A user key sees its own sessions; the admin may name a user with ?user_id=,
// and then another user's session does not exist either.
std::optional<std::string> session_owner(const exchange& x) {
  if (auto owner = owner_scope(x)) return owner;
  return query_of(x).given("user_id");
}

}  // namespace

void add_session_routes(router& r, const api_context& ctx) {
  using namespace restinio;
  r.add(http_method_get(), "/v1/sessions", [&ctx](const exchange& x) {
    auto q = query_of(x);
    domain::session_query sq;
    sq.agent_id = q.text("agent_id");
    sq.user_id = q.text("user_id");
    sq.limit = q.limit("limit", sq.limit);
    sq.offset = q.offset("offset");
    auto sink = x.sink;
    if (auto owner = owner_scope(x)) {
      // Another user's sessions do not exist for this key.
      if (!sq.user_id.empty() && sq.user_id != *owner)
        return sink->send(200, domain::encode_session_list({}));
      sq.user_id = *owner;
    }
    ask(ctx, ctx.rt.sessions, actors::list_sessions{sq}, sink,
        [sink](const actors::session_list& l) {
          sink->send(200, domain::encode_session_list(l.sessions));
        });
  });

  r.add(http_method_get(), "/v1/sessions/:id", [&ctx](const exchange& x) {
    auto sink = x.sink;
    auto id = x.params[0];
    ask(ctx, ctx.rt.sessions, actors::get_session{id, session_owner(x)}, sink,
        [sink, id](const actors::session_detail& d) {
          if (!d.info) return actors::send_error(*sink, session_not_found(id));
          sink->send(200, domain::encode_session_detail(*d.info, d.messages));
        });
  });

  r.add(http_method_delete(), "/v1/sessions/:id", [&ctx](const exchange& x) {
    auto sink = x.sink;
    auto id = x.params[0];
    ask(ctx, ctx.rt.sessions, actors::delete_session{id, session_owner(x)}, sink,
        [sink, id](const actors::deleted& d) {
          if (!d.existed) return actors::send_error(*sink, session_not_found(id));
          sink->send_empty(204);
        });
  });
}

}  // namespace troupe::http
