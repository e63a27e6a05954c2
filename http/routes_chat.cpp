// POST /v1/chat/completions: parse and validate here, then hand the turn to
// the scheduler and return; the session actor writes the reply.
#include "domain/chat/conversation_hash.hpp"
#include "domain/chat/history.hpp"
#include "domain/openai/completion_request.hpp"
#include "http/api_context.hpp"
#include "http/turn_accounting.hpp"

namespace troupe::http {

void add_chat_routes(router& r, const api_context& ctx) {
  r.add(restinio::http_method_post(), "/v1/chat/completions", [&ctx](const exchange& x) {
    require_json_body(x, ctx);
    auto parsed = domain::parse_completion_request(x.req->body());
    speak_as(x.who, parsed);
    auto accounting = admit_turn(ctx, x.who, *x.sink, parsed);  // the last that may refuse
    auto req = std::make_shared<const domain::completion_request>(std::move(parsed));
    ctx.connections->watch(x.req->connection_id(), x.sink);  // cancels upstream if it closes
    auto meta = domain::make_completion_meta(req->model, req->session_id, req->user_id);
    meta.legacy_functions = req->legacy_functions;
    auto reply = actors::chat_turn_reply(x.sink, std::move(meta), req->stream, req->include_usage);
    reply->observe(std::move(accounting));
    actors::chat_turn turn;
    turn.request = req;
    turn.reply = std::move(reply);
    turn.session_id = req->session_id;
    turn.fresh = req->session_id_generated;
    // A stateless client (no session id) resends its conversation: the
    // session holding its front part continues it (hashed here, off the actors).
    if (req->session_id_generated && req->store)
      turn.candidates = domain::resend_candidates(
          req->messages, domain::leading_system_count(req->messages));
    caf::anon_send(ctx.rt.scheduler, std::move(turn));
  });
}

}  // namespace troupe::http
