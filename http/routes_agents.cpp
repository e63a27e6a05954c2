// /v1/agents and /v1/models (an agent is a model to OpenAI clients).
#include <algorithm>
#include <limits>

#include "domain/agents/agent_codec.hpp"
#include "domain/agents/agent_patch.hpp"
#include "domain/core/text_sanitize.hpp"
#include "http/api_context.hpp"
#include "http/query.hpp"

namespace troupe::http {

namespace {

domain::api_error agent_not_found(const std::string& id) {
  return domain::not_found("agent '" + domain::echo(id) + "' not found", "agent_not_found");
}

domain::agent_patch parse_patch(const exchange& x, const api_context& ctx) {
  require_json_body(x, ctx);
  return domain::parse_agent_patch(
      x.req->body(), [&ctx](const std::string& name) { return ctx.services.find(name) != nullptr; },
      [&ctx](const std::string& name) { return ctx.services.find_toolset(name) != nullptr; });
}

// Replies 200 with the agent an update produced.
auto reply_agent(std::shared_ptr<http_sink> sink) {
  return [sink](const actors::agent_reply& r) { sink->send(200, domain::encode_agent(r.agent)); };
}

// A key limited to some agents sees only those: the others are absent to it.
std::vector<domain::agent_config> visible(const caller& who, std::vector<domain::agent_config> all) {
  if (who.admin() || who.key()->agents.empty()) return all;
  all.erase(std::remove_if(all.begin(), all.end(),
                           [&](const domain::agent_config& a) { return !who.may_use_agent(a.id); }),
            all.end());
  return all;
}

// GET of one agent, as an agent or as a model: 200 with `encode(agent)`, or `missing`.
template <class Encode>
void get_one(const api_context& ctx, const exchange& x, Encode encode, domain::api_error missing) {
  if (!x.who.may_use_agent(x.params[0])) throw missing;
  auto sink = x.sink;
  ask(ctx, ctx.rt.agents, actors::get_agent{x.params[0]}, sink,
      [sink, encode, missing](const actors::found_agent& f) {
        if (!f.agent) return actors::send_error(*sink, missing);
        sink->send(200, encode(*f.agent));
      });
}

}  // namespace

void add_agent_routes(router& r, const api_context& ctx) {
  using namespace restinio;
  r.add(http_method_post(), "/v1/agents", [&ctx](const exchange& x) {
    auto sink = x.sink;
    ask(ctx, ctx.rt.agents, actors::create_agent{parse_patch(x, ctx)}, sink,
        [sink](const actors::agent_reply& r) {
          sink->send(201, domain::encode_agent_created(r.agent));
        });
  });

  r.add(http_method_get(), "/v1/agents", [&ctx](const exchange& x) {
    auto q = query_of(x);
    domain::agent_query aq;
    aq.template_id = q.text("template_id");
    aq.active_only = q.flag("active_only");
    aq.limit = q.limit("limit", aq.limit);
    aq.offset = q.offset("offset");
    auto sink = x.sink;
    auto who = x.who;
    ask(ctx, ctx.rt.agents, actors::list_agents{aq}, sink, [sink, who](const actors::agent_list& l) {
      sink->send(200, domain::encode_agent_list(visible(who, l.agents)));
    });
  });

  r.add(http_method_get(), "/v1/agents/:id", [&ctx](const exchange& x) {
    get_one(ctx, x, domain::encode_agent, agent_not_found(x.params[0]));
  });

  r.add(http_method_put(), "/v1/agents/:id", [&ctx](const exchange& x) {
    ask(ctx, ctx.rt.agents, actors::update_agent{x.params[0], parse_patch(x, ctx)}, x.sink,
        reply_agent(x.sink));
  });

  r.add(http_method_patch(), "/v1/agents/:id/status", [&ctx](const exchange& x) {
    require_json_body(x, ctx);
    auto status = domain::parse_status_body(x.req->body());
    ask(ctx, ctx.rt.agents, actors::set_agent_status{x.params[0], status}, x.sink,
        reply_agent(x.sink));
  });

  r.add(http_method_delete(), "/v1/agents/:id", [&ctx](const exchange& x) {
    auto sink = x.sink;
    auto id = x.params[0];
    ask(ctx, ctx.rt.agents, actors::delete_agent{id}, sink, [sink, id](const actors::deleted& d) {
      if (!d.existed) return actors::send_error(*sink, agent_not_found(id));
      sink->send_empty(204);
    });
  });

  r.add(http_method_get(), "/v1/models", [&ctx](const exchange& x) {
    domain::agent_query all;
    all.limit = std::numeric_limits<std::int64_t>::max();
    auto sink = x.sink;
    auto who = x.who;
    ask(ctx, ctx.rt.agents, actors::list_agents{all}, sink, [sink, who](const actors::agent_list& l) {
      sink->send(200, domain::encode_model_list(visible(who, l.agents)));
    });
  });

  r.add(http_method_get(), "/v1/models/:id", [&ctx](const exchange& x) {
    get_one(ctx, x, domain::encode_model,
            domain::not_found("model '" + domain::echo(x.params[0]) + "' does not exist",
                              "model_not_found",
                              "model"));
  });
}

}  // namespace troupe::http
