#pragma once
// One live conversation. Runs one turn at a time in arrival order; a turn is
// stored (new messages and reply together) only once it completed.
#include <chrono>
#include <string>

#include "actors/messages.hpp"

namespace troupe::actors {

struct session_options {
  std::chrono::milliseconds turn_timeout{120000};
};

// `fresh`: the id was just generated, so there is nothing to load.
session_actor spawn_session(caf::actor_system& sys, std::string id, bool fresh,
                            session_repo_actor repo, session_options opts);

}  // namespace troupe::actors
