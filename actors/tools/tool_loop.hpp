#pragma once
// The agent's tool loop for one turn (template `chat` with toolsets): the
// agent's tools are offered with the client's; calls the model makes to the
// agent's tools run (in parallel, each on its toolset's actor) and their
// results go back to the model, until it answers with text or the round
// limit forces a last call with tool_choice "none". Calls to the client's
// tools end the turn with finish_reason "tool_calls" (the agent's calls of
// that answer run first). Every call and result comes back in the result's
// `steps`, stored with the turn; tool activity streams as troupe_tool chunks.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "actors/messages.hpp"
#include "actors/tools/toolset.hpp"

namespace troupe::actors {

struct tool_loop_config {
  provider_actor provider;
  std::vector<toolset_actor> toolsets;  // the agent's
  int max_iterations = 8;
  std::size_t max_result_bytes = 64 << 10;
  std::chrono::milliseconds keepalive{15000};
};

// An actor that answers one llm_call the way a provider does, then quits.
provider_actor spawn_tool_loop(caf::actor_system& sys, tool_loop_config cfg);

}  // namespace troupe::actors
