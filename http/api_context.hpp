#pragma once
// What every handler may use; immutable once the server runs.
#include <chrono>
#include <memory>

#include "actors/errors.hpp"
#include "actors/runtime.hpp"
#include "domain/service/server_options.hpp"
#include "domain/service/services_config.hpp"
#include "http/body_budget.hpp"
#include "http/connection_watch.hpp"
#include "http/http_sink.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace troupe::http {

struct api_context {
  caf::actor_system& sys;
  actors::runtime rt;
  domain::services_config services;
  domain::server_options opts;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::shared_ptr<inflight_counter> inflight = std::make_shared<inflight_counter>();
  std::shared_ptr<connection_watch> connections = std::make_shared<connection_watch>();
  // main sets the one the actors report to as well.
  std::shared_ptr<http::metrics> metrics = std::make_shared<http::metrics>();
  std::shared_ptr<body_budget> bodies =
      std::make_shared<body_budget>(opts.max_inflight_body_bytes);

  std::chrono::milliseconds request_timeout() const {
    return std::chrono::milliseconds(static_cast<std::int64_t>(opts.turn_timeout_s * 1000));
  }
};

// Rules for requests that carry a body: 413 over the limit, 415 not JSON.
void require_json_body(const exchange& x, const api_context& ctx);

void send_json(const exchange& x, int status, std::string body);

// A user key sees its user's sessions, conversations and responses only
// (others answer as if absent); the admin sees all (nullopt).
std::optional<std::string> owner_scope(const exchange& x);

// Asks an actor without blocking the HTTP thread: a short-lived actor makes
// the request and runs `on_value` with the reply; errors become the envelope.
template <class Handle, class Msg, class OnValue>
void ask(const api_context& ctx, const Handle& dest, Msg msg, std::shared_ptr<http_sink> sink,
         OnValue on_value) {
  auto timeout = ctx.request_timeout();
  ctx.sys.spawn([=](caf::event_based_actor* self) mutable {
    self->request(dest, timeout, std::move(msg))
        .then(std::move(on_value), [sink](caf::error& e) {
          actors::send_error(*sink, actors::to_api_error(e));
        });
  });
}

void add_service_routes(router& r, const api_context& ctx);
void add_agent_routes(router& r, const api_context& ctx);
void add_chat_routes(router& r, const api_context& ctx);
void add_session_routes(router& r, const api_context& ctx);
void add_response_routes(router& r, const api_context& ctx);
void add_conversation_routes(router& r, const api_context& ctx);
void add_key_routes(router& r, const api_context& ctx);
void add_usage_routes(router& r, const api_context& ctx);
void add_observability_routes(router& r, const api_context& ctx);

// Runs a turn another cluster node forwarded (its session is this node's).
void run_forwarded_turn(const api_context& ctx, actors::forwarded_turn& f);
// Cluster: the request as it came in, for the node that owns its session.
std::shared_ptr<const actors::turn_origin> make_origin(std::string route, const exchange& x);
// The Idempotency-Key header as sent ("" when none).
std::string idempotency_key_of(const exchange& x);
void start_responses_turn(const api_context& ctx, const caller& who, std::string_view body,
                          const actors::sink_ptr& sink,
                          std::shared_ptr<const actors::turn_origin> origin, bool pinned);

}  // namespace troupe::http
