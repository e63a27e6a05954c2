// GET /metrics (Prometheus text format) and GET /openapi.json.
#include "http/api_context.hpp"
#include "http/auth.hpp"
#include "http/openapi.hpp"

namespace troupe::http {

void add_observability_routes(router& r, const api_context& ctx) {
  using namespace restinio;
  r.add(http_method_get(), "/metrics", [&ctx](const exchange& x) {
    check_metrics_access(x.req, ctx);
    auto sink = x.sink;
    auto m = ctx.metrics;
    auto connections = ctx.connections;
    // Session counts come from the scheduler and the repositories.
    ask(ctx, ctx.rt.scheduler, actors::health_query{}, sink,
        [sink, m, connections](const actors::health_snapshot& h) {
          sink->send_text(200, "text/plain; version=0.0.4; charset=utf-8",
                          m->expose(h, connections->open_connections()));
        });
  });

  r.add(http_method_get(), "/openapi.json", [](const exchange& x) {
    x.sink->send(200, std::string(openapi_document()));
  });
}

}  // namespace troupe::http
