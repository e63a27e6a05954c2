#pragma once
// api_error travels inside caf::error (category "troupe"), so request
// handlers can fail with the exact HTTP error and CAF's own errors (timeout,
// a dead actor) map onto the same envelope.
#include <caf/error.hpp>

#include "domain/core/api_error.hpp"

namespace troupe::actors {

caf::error to_caf_error(const domain::api_error& e);

// request_timeout → 504; troupe errors as carried; anything else → 500.
domain::api_error to_api_error(const caf::error& e);

// Whether an error came from CAF (the actor asked failed or is gone) rather
// than from our own code answering with an api_error.
bool is_actor_failure(const caf::error& e);

}  // namespace troupe::actors

#include <caf/result.hpp>
#include <caf/scheduled_actor.hpp>
#include <fmt/format.h>

#include "actors/component_status.hpp"
#include "domain/core/clock.hpp"

#include "storage/agent_store.hpp"

namespace troupe::actors {

// Exception handler for our actors: logs through spdlog (CAF's own logger is
// compiled out in Debian) and stops the actor; its supervisor takes over.
caf::error log_and_stop(caf::scheduled_actor* self, std::exception_ptr& eptr);

// Runs a repository operation: api_error and storage failures become the
// request's error reply instead of killing the repository actor. A storage
// failure is also recorded in `storage_health` (GET /v1/health shows it).
template <class T, class F>
caf::result<T> guarded(component_status& storage_health, F&& f) {
  try {
    return f();
  } catch (const domain::api_error& e) {
    return to_caf_error(e);
  } catch (const storage::storage_error& e) {
    storage_health.record_error(e.what(), domain::now_ms());
    return to_caf_error(domain::service_unavailable(fmt::format("storage failed: {}", e.what())));
  }
}

}  // namespace troupe::actors
