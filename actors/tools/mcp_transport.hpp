#pragma once
// How an MCP server actor talks to its server: a stdio child process
// (newline-delimited JSON on its stdin/stdout) or Streamable HTTP (a POST per
// message; the answer as JSON or an SSE stream). What comes back is sent to
// the actor as messages tagged with the transport's generation, so a
// restarted server's leftovers are told apart.
#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "actors/providers/curl_loop.hpp"
#include "actors/tools/process_loop.hpp"
#include "domain/service/services_config.hpp"

namespace troupe::actors::detail {

// Server → actor.
struct mcp_in {  // one JSON-RPC message
  std::uint64_t gen;
  std::string text;
};
struct mcp_log {  // a stderr line
  std::uint64_t gen;
  std::string line;
};
struct mcp_gone {  // the process exited or the endpoint failed for good
  std::uint64_t gen;
  std::string why;
};
struct mcp_http_failed {  // one HTTP exchange failed
  std::uint64_t gen;
  std::optional<std::int64_t> id;
  std::string why;
  bool session_lost = false;
};
struct mcp_session {  // Streamable HTTP: the session the server gave
  std::uint64_t gen;
  std::string id;
};

class mcp_transport {
 public:
  virtual ~mcp_transport() = default;
  // `id`: the request this message is (null for notifications and answers).
  virtual void send(std::string json, std::optional<std::int64_t> id,
                    std::chrono::steady_clock::time_point deadline) = 0;
  // Streamable HTTP headers: the session the server gave, the negotiated revision.
  virtual void set_session(const std::string& /*id*/) {}
  virtual void set_version(const std::string& /*version*/) {}
  virtual void close() = 0;
};

std::unique_ptr<mcp_transport> stdio_transport(std::shared_ptr<process_loop> loop,
                                               const domain::toolset_config& cfg,
                                               caf::actor_addr actor, std::uint64_t gen);
std::unique_ptr<mcp_transport> http_transport(std::shared_ptr<curl_loop> loop,
                                              const domain::toolset_config& cfg,
                                              caf::actor_addr actor, std::uint64_t gen);

}  // namespace troupe::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::mcp_in)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::mcp_log)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::mcp_gone)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::mcp_http_failed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::mcp_session)
