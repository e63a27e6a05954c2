#pragma once
// The usage repository: writes what the usage meter gathered (finished
// turns, counted by the HTTP layer) in one commit per interval, and answers
// GET /v1/usage after writing what is pending, so a report sees every turn
// answered before it was asked for.
#include <chrono>
#include <memory>

#include "actors/component_status.hpp"
#include "actors/key_messages.hpp"
#include "domain/keys/usage.hpp"
#include "storage/usage_store.hpp"

namespace troupe::actors {

usage_repo_actor spawn_usage_repository(caf::actor_system& sys,
                                        std::shared_ptr<storage::usage_store> store,
                                        std::shared_ptr<domain::usage_meter> meter,
                                        std::chrono::milliseconds interval,
                                        std::shared_ptr<component_status> health = nullptr);

}  // namespace troupe::actors
