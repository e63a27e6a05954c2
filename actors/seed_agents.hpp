#pragma once
// The --agents file: a JSON array of agent bodies (as for POST /v1/agents),
// created at start-up unless an agent with that id or name exists.
#include <string>

#include "actors/messages.hpp"
#include "domain/service/services_config.hpp"

namespace troupe::actors {

// Returns how many agents were created; throws std::runtime_error (one line).
std::size_t seed_agents(caf::actor_system& sys, const agent_repo_actor& repo,
                        const std::string& path, const domain::services_config& services);

}  // namespace troupe::actors
