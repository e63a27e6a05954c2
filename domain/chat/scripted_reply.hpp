#pragma once
// What the `test` provider answers, decided in plain code so it can be unit
// tested: its configured text (cut by stop sequences and max_tokens), a JSON
// text when the request asks for a response_format, scripted tool calls when
// the request offers tools, and a text quoting the tool results once they
// come back. The answer is a list of stream steps plus the whole result.
#include <string>
#include <vector>

#include "domain/chat/completion.hpp"
#include "domain/chat/prompt.hpp"
#include "domain/service/services_config.hpp"

namespace troupe::domain {

struct scripted_step {
  int index = 0;           // the choice
  std::string text;        // a content token, or
  std::string delta_json;  // a whole delta object (tool call fragments)
};

struct scripted_reply {
  std::vector<scripted_step> steps;  // in stream order
  completion_result result;
};

// `params`: the request's sampling values merged with the agent's defaults.
scripted_reply plan_scripted_reply(const provider_config& cfg, const prompt& p,
                                   const sampling_params& params);

// "Test response from mock LLM" → {"Test ", "response ", "from ", "mock ", "LLM"}.
std::vector<std::string> split_words(std::string_view text);

}  // namespace troupe::domain
