#pragma once
// One live agent: holds its configuration snapshot and turns a session's
// history plus the new messages into a provider call, per its template
// (through its tool loop when it has toolsets).
#include <memory>

#include "actors/messages.hpp"
#include "actors/providers/provider_directory.hpp"
#include "actors/tools/toolset_directory.hpp"

namespace troupe::actors {

agent_actor spawn_agent(caf::actor_system& sys, std::shared_ptr<const domain::agent_config> config,
                        std::shared_ptr<const provider_directory> providers,
                        std::shared_ptr<const toolset_directory> toolsets = nullptr);

}  // namespace troupe::actors
