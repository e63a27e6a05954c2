#pragma once
// The session repository: the only actor that reads or writes conversations.
#include <memory>

#include "actors/component_status.hpp"
#include "actors/messages.hpp"
#include "actors/telemetry.hpp"
#include "storage/session_store.hpp"

namespace troupe::actors {

session_repo_actor spawn_session_repository(caf::actor_system& sys,
                                            std::shared_ptr<storage::session_store> store,
                                            std::shared_ptr<component_status> health = nullptr,
                                            std::shared_ptr<telemetry> telemetry = nullptr);

}  // namespace troupe::actors
