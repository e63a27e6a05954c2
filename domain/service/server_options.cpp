#include "domain/service/server_options.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <arpa/inet.h>
#include <thread>
#include <fstream>
#include <iostream>

namespace troupe::domain {

bool split_listen(const std::string& listen, std::string& host, std::uint16_t& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) return false;
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned value = 0;
  auto p = listen.substr(colon + 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc{} || end != p.data() + p.size() || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

bool is_private(const std::string& host) {
  if (host == "localhost") return true;
  // Addresses only: a host name may resolve to anything.
  unsigned char a[16];
  if (inet_pton(AF_INET, host.c_str(), a) == 1)
    return a[0] == 127 || a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
           (a[0] == 192 && a[1] == 168);
  if (inet_pton(AF_INET6, host.c_str(), a) == 1) {
    static const unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::equal(a, a + 16, loopback) || (a[0] & 0xfe) == 0xfc;  // ::1, fc00::/7
  }
  return false;
}

namespace {

// "" when the cluster options are consistent, else the one-line reason.
std::string check_cluster_options(server_options& o) {
  if (!o.clustered()) {
    if (!o.node_id.empty() || !o.cluster_cert.empty() || !o.cluster_ca.empty())
      return "--node-id and --cluster-cert/-key/-ca need --cluster-listen";
    return "";
  }
  if (!split_listen(o.cluster_listen, o.cluster_host, o.cluster_port) || o.cluster_port == 0)
    return "--cluster-listen must be HOST:PORT with a port, got '" + o.cluster_listen + "'";
  if (o.storage.rfind("postgres:", 0) != 0)
    return "a cluster node keeps its data in PostgreSQL: add --storage=postgres:URI";
  if (o.node_id.empty()) o.node_id = o.cluster_listen;
  bool any_tls = !o.cluster_cert.empty() || !o.cluster_key.empty() || !o.cluster_ca.empty();
  if (any_tls && (o.cluster_cert.empty() || o.cluster_key.empty() || o.cluster_ca.empty()))
    return "cluster TLS needs all of --cluster-cert, --cluster-key and --cluster-ca";
  for (auto* f : {&o.cluster_cert, &o.cluster_key, &o.cluster_ca})
    if (!f->empty() && !std::ifstream(*f))
      return "cannot read '" + *f + "' (--cluster-cert, --cluster-key and --cluster-ca are PEM files)";
  if (!any_tls && !is_private(o.cluster_host))
    return "refusing cluster traffic on " + o.cluster_host +
           " without TLS; set --cluster-cert/--cluster-key/--cluster-ca, or listen on a loopback "
           "or private address";
  return "";
}

}  // namespace

parse_outcome parse_server_options(int argc, char** argv) {
  server_options o;
  CLI::App app{"Troupe: an actor-model agent runtime behind an OpenAI-compatible API", "troupe"};
  app.set_version_flag("--version", std::string("troupe ") + TROUPE_VERSION);
  app.set_config("--config", "", "Read options from this INI/TOML file (e.g. conf/troupe.conf)");
  app.add_option("--listen", o.listen, "HOST:PORT to listen on")->capture_default_str();
  app.add_option("--token", o.token, "API token for /v1 (also env TROUPE_TOKEN)")
      ->envname("TROUPE_TOKEN");
  app.add_option("--services", o.services, "Services file (LLM providers)")
      ->capture_default_str();
  app.add_option("--storage", o.storage, "Storage: sqlite:PATH, postgres:URI or memory")
      ->capture_default_str();
  app.add_option("--agents", o.agents, "Agents file: agents created at start-up if missing");
  app.add_option("--log-level", o.log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--log-format", o.log_format, "text, or json (one JSON object per line)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--metrics-token", o.metrics_token,
                 "Bearer token for GET /metrics (also env TROUPE_METRICS_TOKEN); without one, "
                 "/metrics answers loopback clients only")
      ->envname("TROUPE_METRICS_TOKEN");
  app.add_option("--cors-origins", o.cors_origins,
                 "Origins browsers may call from, comma-separated (* for any); none by default")
      ->delimiter(',');
  app.add_flag("--print-routes", o.print_routes, "Print the HTTP routes (method and path) and exit");
  app.add_option("--drain-s", o.drain_s, "Seconds in-flight turns may take after SIGTERM")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--turn-timeout-s", o.turn_timeout_s, "A turn answers 504 after this")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--session-idle-s", o.session_idle_s,
                 "An idle session's actor stops after this (it stays stored)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-live-sessions", o.max_live_sessions,
                 "Live session actors at most; the least recently used idle ones stop first")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--export-session", o.export_session,
                 "Print one stored session as JSON and exit (support/debugging)");
  app.add_option("--max-body-bytes", o.max_body_bytes, "Request body limit (413 above)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-inflight-body-bytes", o.max_inflight_body_bytes,
                 "Request bodies in flight across all connections at most (503 above)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-unsent-bytes", o.max_unsent_bytes,
                 "A streaming client that leaves more output unread is disconnected "
                 "(its turn still completes and is stored)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--read-timeout-s", o.read_timeout_s,
                 "A request must be complete this long after its first byte (408 after)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-config-bytes", o.max_config_bytes, "Stored agent configuration limit")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-connections", o.max_connections,
                 "Open client connections at most; more wait in the listen backlog "
                 "(0: half of the descriptor limit after a reserve of 32)")
      ->capture_default_str();
  app.add_option("--http-threads", o.http_threads, "HTTP I/O threads (0: half the cores)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 256u));
  app.add_option("--actor-threads", o.actor_threads, "Actor scheduler threads (0: half the cores)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 256u));
  app.add_option("--cluster-listen", o.cluster_listen,
                 "HOST:PORT where this node takes messages from the other nodes (makes it a "
                 "cluster node; needs --storage=postgres:URI)");
  app.add_option("--node-id", o.node_id, "This node's name in the cluster (default: --cluster-listen)");
  app.add_option("--cluster-name", o.cluster_name,
                 "Nodes join only the cluster of the same name")
      ->capture_default_str();
  app.add_option("--cluster-failure-s", o.cluster_failure_s,
                 "A node whose heartbeat is older than this is dead")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  app.add_option("--cluster-cert", o.cluster_cert, "PEM certificate of this node (mutual TLS)");
  app.add_option("--cluster-key", o.cluster_key, "PEM private key of --cluster-cert");
  app.add_option("--cluster-ca", o.cluster_ca, "PEM CA that signs every node's certificate");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return {std::nullopt, app.exit(e)};
  } catch (const CLI::CallForVersion& e) {
    return {std::nullopt, app.exit(e)};
  } catch (const CLI::ParseError& e) {
    std::cerr << "troupe: " << e.what() << " (try --help)\n";
    return {std::nullopt, 2};
  }
  // Measured on 2 cores: one HTTP and one actor thread beat two of each
  // (fewer context switches); bigger machines split the cores evenly.
  unsigned half = std::max(1u, std::thread::hardware_concurrency() / 2);
  if (o.http_threads == 0) o.http_threads = half;
  if (o.actor_threads == 0) o.actor_threads = half;
  if (!split_listen(o.listen, o.host, o.port)) {
    std::cerr << "troupe: --listen must be HOST:PORT, got '" << o.listen << "'\n";
    return {std::nullopt, 2};
  }
  auto has_prefix = [&](const std::string& p) {
    return o.storage.rfind(p, 0) == 0 && o.storage.size() > p.size();
  };
  if (o.storage != "memory" && !has_prefix("sqlite:") && !has_prefix("postgres:")) {
    std::cerr << "troupe: --storage takes 'memory', 'sqlite:PATH' or 'postgres:URI', got '"
              << o.storage << "'\n";
    return {std::nullopt, 2};
  }
  if (o.token.empty() && !is_loopback(o.host)) {
    std::cerr << "troupe: refusing to listen on " << o.host
              << " without a token; set --token or TROUPE_TOKEN, or listen on a loopback "
                 "address\n";
    return {std::nullopt, 2};
  }
  if (auto err = check_cluster_options(o); !err.empty()) {
    std::cerr << "troupe: " << err << "\n";
    return {std::nullopt, 2};
  }
  return {o, 0};
}

}  // namespace troupe::domain
