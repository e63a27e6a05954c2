#pragma once
// "type":"test": a deterministic provider (see domain/chat/scripted_reply):
// its `reply` streamed word by word, JSON for response_format, scripted tool
// calls; usage counts words. first_token_ms / token_interval_ms simulate an
// upstream's latency for benchmarks.
#include "actors/component_status.hpp"
#include "actors/messages.hpp"
#include "actors/telemetry.hpp"
#include "domain/service/services_config.hpp"

namespace troupe::actors {

provider_actor spawn_test_provider(caf::actor_system& sys, const domain::provider_config& cfg,
                                   std::shared_ptr<component_status> status,
                                   std::shared_ptr<provider_telemetry> meter = nullptr);

}  // namespace troupe::actors
