#pragma once
// The toolsets of the services file, each behind its actor (an MCP server
// starts its process or connection on first use). Spawned with the runtime,
// stopped with it: no MCP server outlives Troupe.
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "actors/providers/curl_loop.hpp"
#include "actors/tools/process_loop.hpp"
#include "actors/tools/toolset.hpp"
#include "domain/service/services_config.hpp"

namespace troupe::actors {

struct toolset_entry {
  domain::toolset_config config;
  toolset_actor actor;
};

struct toolset_directory {
  std::map<std::string, toolset_entry> entries;
  std::shared_ptr<process_loop> processes;  // stdio servers' children; null when none

  const toolset_entry* find(std::string_view name) const;
};

// `http`: the curl loop to share (the providers'); one is made when needed and null.
std::shared_ptr<const toolset_directory> spawn_toolsets(caf::actor_system& sys,
                                                        const domain::services_config& cfg,
                                                        std::shared_ptr<curl_loop> http);

// Stops every toolset actor (an MCP server's process group goes with it).
void stop_toolsets(const toolset_directory& dir);

}  // namespace troupe::actors
