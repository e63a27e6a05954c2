#pragma once
// POST /v1/responses, parsed: the turn as a chat-completions request (so the
// same session, agent and providers run it, and any chat-completions
// upstream can serve it) plus what the response object echoes.
#include <memory>
#include <string_view>
#include <vector>

#include "domain/openai/completion_request.hpp"
#include "domain/openai/response_items.hpp"
#include "domain/openai/response_spec.hpp"

namespace troupe::domain {

struct responses_request {
  std::shared_ptr<response_spec> spec;
  // Tools, tool_choice, text.format, max_output_tokens, reasoning … as their
  // chat forms; other fields as received. Its messages come from `input`
  // once references are resolved (see set_input).
  completion_request chat;
  std::vector<input_piece> input;
  std::string instructions;
};

// Throws api_error (422 shape, 400 value) naming the Responses field.
responses_request parse_responses_request(std::string_view body);

// The turn's messages: the instructions as a leading system message, then the input.
void set_input(responses_request& r, message_list input);

}  // namespace troupe::domain
