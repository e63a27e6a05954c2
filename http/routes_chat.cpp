// POST /v1/chat/completions: parse and validate here, then hand the turn to
// the scheduler and return; the session actor writes the reply. On a cluster
// node the same code runs a turn another node forwarded (run_forwarded_turn).
#include "actors/cluster/remote_sink.hpp"
#include "domain/chat/conversation_hash.hpp"
#include "domain/core/clock.hpp"
#include "domain/chat/history.hpp"
#include "domain/keys/key_secret.hpp"
#include "domain/openai/completion_request.hpp"
#include "domain/openai/turn_replay.hpp"
#include "http/api_context.hpp"
#include "http/turn_accounting.hpp"

namespace troupe::http {

namespace {

// Where a turn came from: this node's client, or another node (then it runs
// here, in the session that node resolved).
struct chat_source {
  std::shared_ptr<const actors::turn_origin> origin;  // a client of this node
  const actors::forwarded_turn* forwarded = nullptr;
  std::string idempotency_key;  // the client's Idempotency-Key header, "" if none
};

void start_chat_turn(const api_context& ctx, const caller& who, std::string_view body,
                     const actors::sink_ptr& sink, const chat_source& from) {
  auto parsed = domain::parse_completion_request(body);
  if (!from.idempotency_key.empty()) {
    domain::check_idempotency_key(from.idempotency_key);
    parsed.idempotency_key = from.idempotency_key;
    parsed.request_hash = domain::request_hash(body);
  }
  speak_as(who, parsed);
  auto accounting = admit_turn(ctx, who, *sink, parsed);  // the last that may refuse
  auto* f = from.forwarded;
  if (f && !f->fresh) {
    parsed.session_id = f->session_id;
    parsed.session_id_generated = false;
  }
  auto req = std::make_shared<const domain::completion_request>(std::move(parsed));
  auto meta = domain::make_completion_meta(req->model, req->session_id, req->user_id);
  meta.legacy_functions = req->legacy_functions;
  if (ctx.rt.cluster) {
    meta.node_id = ctx.opts.node_id;
    sink->add_header("X-Troupe-Node", ctx.opts.node_id);
  }
  auto reply = actors::chat_turn_reply(sink, std::move(meta), req->stream, req->include_usage);
  reply->observe(std::move(accounting));
  actors::chat_turn turn;
  turn.request = req;
  turn.reply = std::move(reply);
  turn.session_id = req->session_id;
  turn.fresh = req->session_id_generated;
  turn.origin = from.origin;
  if (f) {
    turn.pinned = true;
    if (f->resends) {
      turn.continues = static_cast<std::size_t>(f->continues);
      turn.resends = true;
    }
  } else if (req->session_id_generated && req->store) {
    // A stateless client (no session id) resends its conversation: the
    // session holding its front part continues it (hashed here, off the actors).
    turn.candidates = domain::resend_candidates(
        req->messages, domain::leading_system_count(req->messages));
  }
  // A turn of a session another node owns goes there from here, without the
  // scheduler's hop (the owner checks its agent; the scheduler would forward
  // it just the same, see actors/scheduler stays_here).
  if (turn.origin && !turn.fresh && turn.candidates.empty()) {
    auto view = ctx.rt.cluster->view->get();
    if (auto owner = view->owner_of(turn.session_id); owner != view->self) {
      turn.reply->hand_off();
      return actors::forward_turn(*ctx.rt.cluster, owner, turn);
    }
  }
  caf::anon_send(ctx.rt.scheduler, std::move(turn));
}

}  // namespace

std::shared_ptr<const actors::turn_origin> make_origin(std::string route, const exchange& x) {
  // The caller's user key as the owner node knows it: "" is the admin.
  auto key_hash = x.who.key() ? x.who.key()->hash : std::string();
  return std::make_shared<const actors::turn_origin>(
      actors::turn_origin{std::move(route), x.req->body(), std::move(key_hash),
                          x.sink->request_id(), idempotency_key_of(x), x.sink});
}

std::string idempotency_key_of(const exchange& x) {
  auto v = x.req->header().opt_value_of("Idempotency-Key");
  return v ? std::string(v->data(), v->size()) : std::string();
}

void add_chat_routes(router& r, const api_context& ctx) {
  r.add(restinio::http_method_post(), "/v1/chat/completions", [&ctx](const exchange& x) {
    require_json_body(x, ctx);
    chat_source from;
    if (ctx.rt.cluster) from.origin = make_origin("chat", x);
    from.idempotency_key = idempotency_key_of(x);
    ctx.connections->watch(x.req->connection_id(), x.sink);  // cancels upstream if it closes
    start_chat_turn(ctx, x.who, x.req->body(), x.sink, from);
  });
}

void run_forwarded_turn(const api_context& ctx, actors::forwarded_turn& f) {
  auto sink = std::make_shared<actors::remote_sink>(f.reply_to, f.turn);
  try {
    caller who;
    if (!f.key_hash.empty()) {
      auto grant = ctx.rt.key_directory->find(f.key_hash);
      if (!grant) throw domain::unauthorized("invalid API key: unknown or revoked");
      if (grant->key->expired(domain::now_ms()))
        throw domain::unauthorized("API key '" + grant->key->prefix + "…' expired");
      who = caller{std::move(*grant)};
    }
    if (f.route == "responses") return start_responses_turn(ctx, who, f.body, sink, nullptr, true);
    if (f.route != "chat") throw domain::not_found("no route '" + f.route + "' to forward to");
    chat_source from;
    from.forwarded = &f;
    from.idempotency_key = f.idempotency_key;
    start_chat_turn(ctx, who, f.body, sink, from);
  } catch (const domain::api_error& e) {
    if (ctx.rt.cluster) sink->add_header("X-Troupe-Node", ctx.opts.node_id);
    actors::send_error(*sink, e);
  } catch (const std::exception& e) {
    actors::send_error(*sink, domain::internal_error(e.what()));
  }
}

}  // namespace troupe::http
