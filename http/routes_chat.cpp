// POST /v1/chat/completions: parse and validate here, then hand the turn to
// the scheduler and return; the session actor writes the reply.
#include "domain/openai/completion_request.hpp"
#include "http/api_context.hpp"

namespace troupe::http {

void add_chat_routes(router& r, const api_context& ctx) {
  r.add(restinio::http_method_post(), "/v1/chat/completions", [&ctx](const exchange& x) {
    require_json_body(x, ctx);
    auto req = std::make_shared<const domain::completion_request>(
        domain::parse_completion_request(x.req->body()));
    ctx.connections->watch(x.req->connection_id(), x.sink);  // cancels upstream if it closes
    auto reply = std::make_shared<actors::turn_reply>(
        x.sink, domain::make_completion_meta(req->model, req->session_id, req->user_id),
        req->stream, req->include_usage);
    caf::anon_send(ctx.rt.scheduler, actors::chat_turn{std::move(req), std::move(reply)});
  });
}

}  // namespace troupe::http
