// troupe: wires options → actor system → HTTP server; stops them in reverse.
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <optional>

#include "actors/cluster/cluster_messages.hpp"
#include "actors/runtime.hpp"
#include "actors/seed_agents.hpp"
#include "domain/service/server_options.hpp"
#include "domain/chat/session_info.hpp"
#include "http/log_format.hpp"
#include "http/process_exit.hpp"
#include "http/server.hpp"

namespace {

// --export-session: one stored session as JSON on stdout.
// It reads the database as it is (a server may be running on it) and needs
// nothing else: no services file, no migration, no file created.
int export_session(const std::string& storage_spec, const std::string& id) {
  try {
    auto dump = troupe::storage::open_existing_sessions(storage_spec)->dump(id);
    if (!dump) {
      std::cerr << "troupe: session '" << id << "' not found\n";
      return 1;
    }
    std::cout << troupe::domain::encode_session_detail(dump->info, dump->messages) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "troupe: " << e.what() << "\n";
    return 1;
  }
}

void setup_logging(const std::string& level, const std::string& format) {
  // Async: the access log must not put a write(2) on every HTTP thread.
  spdlog::init_thread_pool(32768, 1);
  auto logger = std::make_shared<spdlog::async_logger>(
      "troupe", std::make_shared<spdlog::sinks::stderr_sink_mt>(), spdlog::thread_pool(),
      spdlog::async_overflow_policy::overrun_oldest);
  if (format == "json")
    logger->set_formatter(troupe::http::make_json_log_formatter());
  else
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

// The middleman carries the messages between nodes: nodes of another
// cluster name refuse each other's connections, and a silent peer is
// dropped after the failure time (0.17 ships heartbeats off).
void configure_cluster(caf::actor_system_config& cfg, const troupe::domain::server_options& o) {
  cfg.load<caf::io::middleman>();
  troupe::actors::add_cluster_types(cfg);
  cfg.set("middleman.app-identifiers", std::vector<std::string>{"troupe:" + o.cluster_name});
  cfg.set("middleman.heartbeat-interval", caf::timespan(std::chrono::milliseconds(500)));
  cfg.set("middleman.connection-timeout",
          caf::timespan(std::chrono::milliseconds(static_cast<std::int64_t>(o.cluster_failure_s * 1000))));
  // Messages from other nodes are deserialized on the multiplexer thread
  // itself: a worker thread would add a thread hand-off (a wake-up) to every
  // forwarded turn and every piece of its reply.
  cfg.set("middleman.workers", std::size_t{0});
  if (o.cluster_tls()) {
    cfg.load<caf::openssl::manager>();
    cfg.set("openssl.certificate", o.cluster_cert);
    cfg.set("openssl.key", o.cluster_key);
    cfg.set("openssl.cafile", o.cluster_ca);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace troupe;
  auto parsed = domain::parse_server_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  auto& opts = *parsed.options;
  if (!opts.export_session.empty()) return export_session(opts.storage, opts.export_session);
  setup_logging(opts.log_level, opts.log_format);
  // Peers that hang up (clients, upstreams, tool processes) are errors on the
  // write that saw them, never a signal that ends the server.
  std::signal(SIGPIPE, SIG_IGN);

  domain::services_config services;
  storage::backends backends;
  try {
    services = domain::load_services(opts.services);
    backends = storage::open_storage(opts.storage);
    if (opts.clustered()) backends.cluster = storage::open_cluster_store(opts.storage);
  } catch (const std::exception& e) {
    std::cerr << "troupe: " << e.what() << "\n";
    return 1;
  }

  // Created before the actor system and destroyed after it (see run_server).
  restinio::asio_ns::io_context io;
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(opts.actor_threads));
  // Idle workers wait on a condition variable and wake at once: work stealing
  // polls instead (50 µs naps, then 10 ms), which burned ~10 % CPU per worker on
  // an idle server and delayed the first message after a quiet spell.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  if (opts.clustered()) configure_cluster(cfg, opts);
  int rc = 0;
  std::optional<http::stop_deadline> deadline;  // outlives the actor system
  {
    caf::actor_system sys{cfg};
    actors::runtime_options ropts;
    ropts.turn_timeout =
        std::chrono::milliseconds(static_cast<std::int64_t>(opts.turn_timeout_s * 1000));
    ropts.max_config_bytes = opts.max_config_bytes;
    ropts.scheduler.session_idle =
        std::chrono::milliseconds(static_cast<std::int64_t>(opts.session_idle_s * 1000));
    ropts.scheduler.max_live_sessions = opts.max_live_sessions;
    auto metrics = std::make_shared<http::metrics>();  // the actors report to it too
    ropts.metrics = metrics;
    if (opts.clustered()) {
      actors::cluster_options c;
      c.cluster_name = opts.cluster_name;
      c.node_id = opts.node_id;
      c.host = opts.cluster_host;
      c.port = opts.cluster_port;
      c.http_address = opts.listen;
      c.failure = std::chrono::milliseconds(static_cast<std::int64_t>(opts.cluster_failure_s * 1000));
      c.tls = opts.cluster_tls();
      ropts.cluster = c;
    }
    ropts.scheduler.sweep_interval = std::clamp(ropts.scheduler.session_idle / 4,
                                                std::chrono::milliseconds(50),
                                                std::chrono::milliseconds(1000));
    std::optional<actors::runtime> rt;
    try {
      rt = actors::start_runtime(sys, std::move(backends), services, ropts);
      if (!opts.agents.empty()) {
        auto n = actors::seed_agents(sys, rt->agents, opts.agents, services);
        spdlog::info("agents file {}: {} agents created", opts.agents, n);
      }
      http::api_context ctx{sys, *rt, services, opts};
      ctx.metrics = metrics;
      if (opts.print_routes) {
        for (auto& r : http::api_routes(ctx)) std::cout << r.method << " " << r.pattern << "\n";
      } else {
        rc = http::run_server(ctx, io);
      }
    } catch (const std::exception& e) {
      std::cerr << "troupe: " << e.what() << "\n";
      rc = 1;
    }
    // The server has stopped: what remains must not hang (--drain-s + 2 s in all).
    http::exit_on_next_signal();
    deadline.emplace(std::chrono::milliseconds(1500));
    if (rt) actors::stop_runtime(sys, *rt);
  }  // the actor system waits for its actors here
  deadline.reset();
  spdlog::shutdown();
  return rc;
}
