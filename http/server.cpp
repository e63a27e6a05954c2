#include "http/server.hpp"

#include <csignal>
#include <thread>

#include <spdlog/spdlog.h>

#include "domain/service/http_rules.hpp"
#include "domain/core/text_sanitize.hpp"
#include "http/auth.hpp"
#include "http/cors.hpp"
#include "http/descriptor_limit.hpp"
#include "http/intake_refusal.hpp"
#include "http/process_exit.hpp"
#include "http/server_traits.hpp"

namespace troupe::http {

namespace {

using server_t = restinio::http_server_t<server_traits>;

// Judged on the path as the router sees it ("//v1/x" routes as "/v1/x").
bool is_api_path(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return path.rfind("v1", 0) == 0 && (path.size() == 2 || path[2] == '/');
}

class dispatcher {
 public:
  dispatcher(api_context& ctx, const intake_limits& limits) : ctx_(ctx), limits_(limits) {
    add_service_routes(router_, ctx);
    add_chat_routes(router_, ctx);
    add_agent_routes(router_, ctx);
    add_session_routes(router_, ctx);
    add_response_routes(router_, ctx);
    add_conversation_routes(router_, ctx);
    add_key_routes(router_, ctx);
    add_usage_routes(router_, ctx);
    add_observability_routes(router_, ctx);
  }

  const router& routes() const { return router_; }

  restinio::request_handling_status_t operator()(restinio::request_handle_t req) const {
    auto sink = make_sink(req, ctx_.inflight, ctx_.bodies, ctx_.opts.max_unsent_bytes);
    sink->set_request_id(request_id_of(req));
    auto note = intake_note_of(req);
    if (note && note->status) {  // the gate refused it: answer and close
      sink->on_finish([metrics = ctx_.metrics, method = std::string(req->header().method().c_str())](
                          int status) { metrics->request_done(method, "refused", status); });
      answer_refusal(*sink, *note, limits_);
      return restinio::request_accepted();
    }
    if (note) sink->set_connection(note->connection);
    try {
      auto& h = req->header();
      auto path = h.path();
      auto m = router_.match(h.method(), path);
      std::string method = h.method().c_str();
      sink->on_finish([metrics = ctx_.metrics, method,
                       route = m.pattern ? *m.pattern : std::string("unmatched")](int status) {
        metrics->request_done(method, route, status);
      });
      add_cors_headers(req, *sink, ctx_.opts.cors_origins);
      if (answer_preflight(req, m, *sink, ctx_.opts.cors_origins)) return restinio::request_accepted();
      caller who;
      if (is_api_path(path)) who = authenticate(req, ctx_);
      if (m.handler) {
        check_access(who, method, *m.pattern);
        (*m.handler)(exchange{req, m.params, sink, who});
      } else if (!m.allow.empty()) {
        auto e = domain::method_not_allowed(std::string(h.method().c_str()) + " is not allowed on " +
                                            domain::echo(path) + "; allowed: " + m.allow);
        sink->send_with_headers(405, domain::encode_error(e), {{"Allow", m.allow}});
      } else {
        throw domain::not_found("no route for " + std::string(h.method().c_str()) + " " +
                                domain::echo(path));
      }
    } catch (const domain::api_error& e) {
      actors::send_error(*sink, e);
    } catch (const std::exception& e) {
      spdlog::error("handler failed: {} request_id={}", e.what(), sink->request_id());
      actors::send_error(*sink, domain::internal_error(e.what()));
    }
    return restinio::request_accepted();
  }

 private:
  api_context& ctx_;
  intake_limits limits_;
  router router_;
};

// Stops accepting, then waits for in-flight requests up to the drain time.
class shutdown_sequence {
 public:
  shutdown_sequence(restinio::asio_ns::io_context& io, server_t& server, api_context& ctx,
                    accept_watchdog& watchdog)
      : io_(io), server_(server), ctx_(ctx), watchdog_(watchdog), signals_(io, SIGINT, SIGTERM),
        timer_(io) {}

  void arm() {
    signals_.async_wait([this](const restinio::asio_ns::error_code& ec, int sig) {
      if (ec) return;
      if (draining_) exit_now(sig);
      draining_ = true;
      spdlog::info("signal {}: no longer accepting; draining up to {}s", sig, ctx_.opts.drain_s);
      watchdog_.stop();
      server_.close_async([] {}, [](std::exception_ptr) {});
      deadline_ = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<std::int64_t>(ctx_.opts.drain_s * 1000));
      poll();
      arm();
    });
  }

 private:
  void poll() {
    auto left = ctx_.inflight->n.load();
    // A reply counts as done when it is handed to RESTinio, a moment before
    // its bytes are written on this io_context: give those writes one more tick.
    bool settled = left <= 0 && quiet_;
    quiet_ = left <= 0;
    if (settled || std::chrono::steady_clock::now() >= deadline_) {
      if (left > 0) spdlog::warn("drain time over with {} requests in flight", left);
      spdlog::info("stopped");
      io_.stop();
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(20));
    timer_.async_wait([this](const restinio::asio_ns::error_code& ec) {
      if (!ec) poll();
    });
  }

  restinio::asio_ns::io_context& io_;
  server_t& server_;
  api_context& ctx_;
  accept_watchdog& watchdog_;
  restinio::asio_ns::signal_set signals_;
  restinio::asio_ns::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_;
  bool draining_ = false;
  bool quiet_ = false;  // nothing was in flight at the previous tick
};

}  // namespace

std::vector<router::route_info> api_routes(api_context& ctx) {
  return dispatcher{ctx, intake_limits{}}.routes().routes();
}

int run_server(api_context& ctx, restinio::asio_ns::io_context& io) {
  auto& o = ctx.opts;
  auto turn_timeout = ctx.request_timeout();
  auto descriptors = raise_descriptor_limit();
  auto max_connections = o.max_connections ? o.max_connections : default_max_connections(descriptors);
  if (max_connections + reserved_descriptors > descriptors)
    spdlog::warn("--max-connections {} leaves less than {} of {} descriptors for the rest: "
                 "accepts may fail for want of descriptors (they are retried)",
                 max_connections, reserved_descriptors, descriptors);
  intake_limits limits;
  limits.max_body = o.max_body_bytes;
  limits.read_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.read_timeout_s * 1000));
  set_intake_config({limits, ctx.bodies});
  int listen_fd = -1;
  server_t server{
      restinio::external_io_context(io),
      [&](auto& settings) {
        settings.address(o.host)
            .port(o.port)
            .request_handler(dispatcher{ctx, limits})
            .concurrent_accepts_count(o.http_threads)
            .max_parallel_connections(max_connections)
            .acceptor_post_bind_hook([&listen_fd](restinio::asio_ns::ip::tcp::acceptor& a) {
              listen_fd = a.native_handle();
            })
            // Streams must not wait for Nagle + delayed ACK (40 ms per chunk).
            .socket_options_setter([](auto& opts) {
              opts.set_option(restinio::asio_ns::ip::tcp::no_delay{true});
            })
            // The turn timeout answers 504 first; RESTinio's own timer is a backstop.
            .handle_request_timeout(turn_timeout + std::chrono::seconds(10))
            // A request under way gets its 408 from the intake gate; this is
            // the idle keep-alive limit, long enough never to cut a request short.
            .read_next_http_message_timelimit(2 * limits.read_timeout)
            .write_http_response_timelimit(std::chrono::seconds(60))
            // 2, not 1: RESTinio reads a connection only while it may take
            // another request, and that read is what sees a client hang up
            // during a long turn (connection_watch then cancels the upstream).
            .max_pipelined_requests(2)
            .connection_state_listener(ctx.connections)
            // Backstops only: the intake gate (guarded_socket) answers every
            // request over its tighter limits before RESTinio sees a byte of it.
            .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                          .max_body_size(o.max_body_bytes)
                                          .max_url_size(64u << 10)
                                          .max_field_name_size(64u << 10)
                                          .max_field_value_size(64u << 10)
                                          .max_field_count(256));
      }};
  try {
    server.open_sync();
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}: {}", o.listen, e.what());
    return 1;
  }
  spdlog::info("troupe {} listening on http://{}:{} ({} HTTP threads, at most {} connections, "
               "{} descriptors)",
               TROUPE_VERSION, o.host, o.port, o.http_threads, max_connections, descriptors);
  if (o.token.empty())
    spdlog::warn("no API token configured: serving /v1 without auth on loopback only");
  if (ctx.rt.cluster) {
    caf::anon_send(ctx.rt.cluster->node, actors::install_runner{[&ctx](actors::forwarded_turn& f) {
                     run_forwarded_turn(ctx, f);
                   }});
    spdlog::info("cluster node {} of '{}' listening for nodes on {}{}", o.node_id, o.cluster_name,
                 o.cluster_listen, o.cluster_tls() ? " (mutual TLS)" : "");
    if (!o.cluster_tls())
      spdlog::warn("cluster links carry conversations unencrypted: set --cluster-cert, "
                   "--cluster-key and --cluster-ca outside a private network");
  }
  accept_watchdog watchdog{io, listen_fd};
  watchdog.start();
  shutdown_sequence shutdown{io, server, ctx, watchdog};
  shutdown.arm();
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < o.http_threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace troupe::http
