#pragma once
// A Responses API turn before it reaches the scheduler: a short-lived actor
// finds the session it continues (previous_response_id: that response's
// session, or a fork of it when the session moved on; conversation: that
// session), resolves item_reference inputs against stored items, then sends
// the turn on as a chat turn. The HTTP thread only spawns it.
#include <memory>

#include "actors/messages.hpp"
#include "domain/openai/responses_request.hpp"

namespace troupe::actors {

struct response_turn_deps {
  session_loader_actor loader;  // reads
  session_repo_actor repo;      // forks
  scheduler_actor scheduler;
  // Cluster: as chat_turn's (the request as it came in; run here for sure).
  std::shared_ptr<const turn_origin> origin;
  bool pinned = false;
};

void start_response_turn(caf::actor_system& sys, const response_turn_deps& deps,
                         domain::responses_request request, std::shared_ptr<turn_reply> reply);

}  // namespace troupe::actors
