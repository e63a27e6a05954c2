#pragma once
// One MCP server as an actor: started on first use (a child process over
// stdio, or a Streamable HTTP endpoint), concurrent calls multiplexed by
// JSON-RPC id, a call past its timeout (or no longer needed) cancelled with
// notifications/cancelled and answered as a tool error, a dead or
// garbage-writing server restarted with backoff (its calls in flight fail as
// tool errors), its stderr logged, its process group stopped with Troupe.
#include <memory>

#include "actors/providers/curl_loop.hpp"
#include "actors/tools/process_loop.hpp"
#include "actors/tools/toolset.hpp"
#include "domain/service/services_config.hpp"

namespace troupe::actors {

struct mcp_server_deps {
  std::shared_ptr<process_loop> processes;  // stdio servers
  std::shared_ptr<curl_loop> http;          // http servers
};

toolset_actor spawn_mcp_server(caf::actor_system& sys, const domain::toolset_config& cfg,
                               mcp_server_deps deps);

}  // namespace troupe::actors
