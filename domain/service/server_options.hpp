#pragma once
// Command line and conf/troupe.conf (CLI11); env TROUPE_TOKEN.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace troupe::domain {

struct server_options {
  std::string listen = "127.0.0.1:8080";
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string token;
  std::string services = "conf/services.json";
  std::string storage = "memory";
  std::string agents;  // seed file: agents created at start-up when absent
  std::string log_level = "info";
  std::string log_format = "text";  // or json: one object per line
  std::string metrics_token;        // empty: /metrics for loopback clients only
  std::vector<std::string> cors_origins;  // empty: no CORS
  bool print_routes = false;        // print the HTTP routes and exit
  double drain_s = 10;
  double turn_timeout_s = 120;
  double session_idle_s = 300;
  std::size_t max_live_sessions = 100000;
  std::string export_session;  // set: print that session as JSON and exit
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_inflight_body_bytes = std::size_t(256) << 20;
  std::size_t max_unsent_bytes = 1 << 20;  // per streaming response not read by its client
  double read_timeout_s = 60;  // a request must be complete this long after its first byte
  std::size_t max_config_bytes = 64 << 10;
  std::size_t max_connections = 0;  // 0: from the descriptor limit
  unsigned http_threads = 0;   // 0: half the cores (at least 1)
  unsigned actor_threads = 0;  // 0: half the cores (at least 1)

  // Cluster (empty cluster_listen: one node on its own).
  std::string cluster_listen;  // HOST:PORT of this node's actor for the other nodes
  std::string cluster_host;
  std::uint16_t cluster_port = 0;
  std::string node_id;  // default: cluster_listen
  std::string cluster_name = "troupe";
  double cluster_failure_s = 5;  // a node silent this long is dead for everyone
  std::string cluster_cert, cluster_key, cluster_ca;  // mutual TLS between nodes
  bool clustered() const { return !cluster_listen.empty(); }
  bool cluster_tls() const { return !cluster_cert.empty(); }
};

// Returns the options, or the process exit code when start-up must end here
// (0 after --help/--version; non-zero after a one-line error on stderr).
struct parse_outcome {
  std::optional<server_options> options;
  int exit_code = 0;
};
parse_outcome parse_server_options(int argc, char** argv);

// Splits "host:port" / "[v6]:port"; false when malformed.
bool split_listen(const std::string& listen, std::string& host, std::uint16_t& port);

bool is_loopback(const std::string& host);
// Loopback or an RFC 1918 / unique-local address: not reachable from the internet.
bool is_private(const std::string& host);

}  // namespace troupe::domain
