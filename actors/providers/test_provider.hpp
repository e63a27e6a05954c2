#pragma once
// "type":"test": a deterministic provider. Its reply is `reply`, streamed word
// by word; usage counts words. first_token_ms / token_interval_ms simulate an
// upstream's latency for benchmarks.
#include <string>
#include <string_view>
#include <vector>

#include "actors/messages.hpp"
#include "actors/component_status.hpp"
#include "domain/service/services_config.hpp"

namespace troupe::actors {

provider_actor spawn_test_provider(caf::actor_system& sys, const domain::provider_config& cfg,
                                   std::shared_ptr<component_status> status);

// "Test response from mock LLM" → {"Test ", "response ", "from ", "mock ", "LLM"}.
std::vector<std::string> split_words(std::string_view text);

}  // namespace troupe::actors
