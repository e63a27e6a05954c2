// GET /, /ping, /v1/health, /v1/cluster, /v1/templates[/{id}], /v1/schema
#include "domain/service/service_codec.hpp"
#include "domain/agents/templates.hpp"
#include "domain/core/text_sanitize.hpp"
#include "http/api_context.hpp"

namespace troupe::http {

void add_service_routes(router& r, const api_context& ctx) {
  using namespace restinio;
  r.add(http_method_get(), "/", [](const exchange& x) { send_json(x, 200, domain::encode_root()); });
  r.add(http_method_get(), "/ping",
        [](const exchange& x) { send_json(x, 200, domain::encode_ping()); });

  r.add(http_method_get(), "/v1/health", [&ctx](const exchange& x) {
    domain::health_view view;
    view.uptime_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.started).count();
    view.storage = ctx.opts.storage;
    view.storage_health = ctx.rt.storage_health->snapshot();
    view.max_live_sessions = ctx.opts.max_live_sessions;
    view.inflight_requests = ctx.inflight->n.load() - 1;  // not counting this one
    if (ctx.rt.cluster) view.cluster = ctx.rt.cluster->view->get();
    for (auto& [name, p] : ctx.rt.providers->entries) {
      view.providers.push_back({name, p.config.type, static_cast<bool>(p.actor), p.status->snapshot()});
    }
    auto sink = x.sink;
    ask(ctx, ctx.rt.scheduler, actors::health_query{}, sink,
        [sink, view](const actors::health_snapshot& h) mutable {
          view.counts = h;
          sink->send(200, domain::encode_health(view));
        });
  });

  r.add(http_method_get(), "/v1/cluster", [&ctx](const exchange& x) {
    if (!ctx.rt.cluster)
      throw domain::not_found(
          "this server runs as a node of its own; start it with --cluster-listen to form a cluster",
          "not_clustered");
    send_json(x, 200, domain::encode_cluster(*ctx.rt.cluster->view->get()));
  });

  r.add(http_method_get(), "/v1/templates",
        [](const exchange& x) { send_json(x, 200, domain::encode_template_list()); });
  r.add(http_method_get(), "/v1/templates/:id", [](const exchange& x) {
    auto* t = domain::find_template(x.params[0]);
    if (!t)
      throw domain::not_found("template '" + domain::echo(x.params[0]) + "' not found",
                              "template_not_found");
    send_json(x, 200, domain::encode_template(*t));
  });

  r.add(http_method_get(), "/v1/schema", [&ctx](const exchange& x) {
    std::vector<std::string> types;
    for (auto& [name, p] : ctx.rt.providers->entries)
      if (p.actor && std::find(types.begin(), types.end(), p.config.type) == types.end())
        types.push_back(p.config.type);
    domain::schema_limits limits{ctx.opts.max_body_bytes, ctx.opts.max_config_bytes,
                                 ctx.opts.turn_timeout_s};
    send_json(x, 200, domain::encode_schema(limits, types));
  });
}

}  // namespace troupe::http
