#pragma once
// The agent repository: the only actor that reads or writes agents. It tells
// the scheduler about changes, so live agent actors take them on their next turn.
#include <memory>

#include "actors/component_status.hpp"
#include "actors/messages.hpp"
#include "storage/agent_store.hpp"

namespace troupe::actors {

agent_repo_actor spawn_agent_repository(caf::actor_system& sys,
                                        std::shared_ptr<storage::agent_store> store,
                                        session_repo_actor sessions,
                                        std::size_t max_config_bytes,
                                        std::shared_ptr<component_status> health = nullptr);

}  // namespace troupe::actors
