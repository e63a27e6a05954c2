#pragma once
// One round of the agent's tool loop, as data: which calls of a model's
// answer the agent runs itself (its toolsets' tools) and which belong to the
// client, the messages a round adds to the conversation, and the answer the
// client gets when the model also called the client's tools.
#include <cstddef>
#include <string>
#include <vector>

#include "domain/chat/chat_message.hpp"
#include "domain/openai/completion_request.hpp"
#include "domain/tools/tool_catalog.hpp"

namespace troupe::domain {

struct call_split {
  std::vector<std::size_t> server;  // indexes into the message's tool_calls
  std::vector<std::size_t> client;
};

// Calls whose name is in `catalog` are the agent's; the others the client's.
call_split split_calls(const chat_message& answer, const std::vector<tool_definition>& catalog);

const tool_definition* find_tool(const std::vector<tool_definition>& catalog, std::string_view name);

// A tool message answering `call_id`.
chat_message tool_result_message(const std::string& call_id, std::string content);

// The model's answer with only the calls at `keep` (what the client sees
// when it must run its own tools).
chat_message with_calls_only(const chat_message& answer, const std::vector<std::size_t>& keep);

// The tools the model sees for the agent: OpenAI's shape for an upstream,
// name and schema for Troupe's own providers.
std::vector<tool_spec> tool_specs(const std::vector<tool_definition>& catalog);

}  // namespace troupe::domain
