// /v1/responses: the Responses API over Troupe's sessions. A turn is parsed
// here and handed to a short-lived actor (actors/response_turn); stored
// responses are read through the session reader.
#include "actors/response_turn.hpp"
#include "domain/core/json.hpp"
#include "domain/openai/conversations_codec.hpp"
#include "domain/openai/responses_codec.hpp"
#include "domain/openai/responses_request.hpp"
#include "http/api_context.hpp"
#include "http/query.hpp"
#include "http/turn_accounting.hpp"

namespace troupe::http {

namespace {

domain::api_error response_not_found(const std::string& id) {
  return domain::not_found("response '" + id + "' not found", "response_not_found");
}

actors::session_loader_actor loader_of(const api_context& ctx) {
  return ctx.rt.session_reader ? ctx.rt.session_reader
                               : actors::session_loader_actor{ctx.rt.sessions};
}

// The items of a stored JSON array, each as its own JSON text.
std::vector<std::string> split_items(const std::string& array) {
  rapidjson::Document d;
  d.Parse(array.data(), array.size());
  std::vector<std::string> out;
  if (d.IsArray())
    for (auto& item : d.GetArray()) out.push_back(domain::to_json_text(item));
  return out;
}

bool visible(const actors::response_found& f, const std::optional<std::string>& owner) {
  return f.response && (!owner || f.response->user_id == *owner);
}

}  // namespace

// `origin`: this node's client (the turn may go to its session's owner);
// null with `pinned`: another node forwarded it here.
void start_responses_turn(const api_context& ctx, const caller& who, std::string_view body,
                          const actors::sink_ptr& sink,
                          std::shared_ptr<const actors::turn_origin> origin, bool pinned) {
  auto req = domain::parse_responses_request(body);
  speak_as(who, req.chat);
  auto accounting = admit_turn(ctx, who, *sink, req.chat);  // the last that may refuse
  if (ctx.rt.cluster) sink->add_header("X-Troupe-Node", ctx.opts.node_id);
  bool stream = req.chat.stream;
  auto reply = std::make_shared<actors::turn_reply>(
      sink, domain::responses_reply_encoder(req.spec), req.chat.session_id, stream, false);
  reply->observe(std::move(accounting));
  actors::response_turn_deps deps{loader_of(ctx), ctx.rt.sessions, ctx.rt.scheduler,
                                  std::move(origin), pinned};
  actors::start_response_turn(ctx.sys, deps, std::move(req), std::move(reply));
}

void add_response_routes(router& r, const api_context& ctx) {
  using namespace restinio;
  r.add(http_method_post(), "/v1/responses", [&ctx](const exchange& x) {
    require_json_body(x, ctx);
    std::shared_ptr<const actors::turn_origin> origin;
    if (ctx.rt.cluster) origin = make_origin("responses", x);
    ctx.connections->watch(x.req->connection_id(), x.sink);  // cancels upstream if it closes
    start_responses_turn(ctx, x.who, x.req->body(), x.sink, std::move(origin), false);
  });

  r.add(http_method_get(), "/v1/responses/:id", [&ctx](const exchange& x) {
    auto sink = x.sink;
    auto id = x.params[0];
    auto owner = owner_scope(x);
    ask(ctx, loader_of(ctx), actors::find_response{id}, sink,
        [sink, id, owner](const actors::response_found& f) {
          if (!visible(f, owner)) return actors::send_error(*sink, response_not_found(id));
          sink->send(200, f.response->body);
        });
  });

  r.add(http_method_get(), "/v1/responses/:id/input_items", [&ctx](const exchange& x) {
    auto q = query_of(x);
    auto page = domain::parse_item_page(q.text("after"), q.text("limit"), q.text("order"));
    auto sink = x.sink;
    auto id = x.params[0];
    auto owner = owner_scope(x);
    ask(ctx, loader_of(ctx), actors::find_response{id}, sink,
        [sink, id, page, owner](const actors::response_found& f) {
          if (!visible(f, owner)) return actors::send_error(*sink, response_not_found(id));
          try {
            sink->send(200, domain::encode_item_page(split_items(f.response->input_items), page));
          } catch (const domain::api_error& e) {
            actors::send_error(*sink, e);
          }
        });
  });

  r.add(http_method_delete(), "/v1/responses/:id", [&ctx](const exchange& x) {
    auto sink = x.sink;
    auto id = x.params[0];
    auto owner = owner_scope(x);
    // Looked up first: another user's response is not there to delete.
    ask(ctx, loader_of(ctx), actors::find_response{id}, sink,
        [&ctx, sink, id, owner](const actors::response_found& f) {
          if (!visible(f, owner)) return actors::send_error(*sink, response_not_found(id));
          ask(ctx, ctx.rt.sessions, actors::delete_response{id}, sink,
              [sink, id](const actors::deleted& d) {
          if (!d.existed) return actors::send_error(*sink, response_not_found(id));
          domain::json_out out;
          out.w.StartObject();
          out.w.Key("id");
          domain::write_string(out.w, id);
          out.w.Key("object");
          out.w.String("response");
          out.w.Key("deleted");
          out.w.Bool(true);
          out.w.EndObject();
          sink->send(200, out.str());
        });
        });
  });
}

}  // namespace troupe::http
