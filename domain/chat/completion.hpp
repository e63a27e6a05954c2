#pragma once
// What a model answered for one turn: one or more choices (choice 0 is the
// one a session stores), the token usage, and the upstream's extras kept
// verbatim for the client.
#include <cstdint>
#include <string>
#include <vector>

#include "domain/chat/chat_message.hpp"

namespace troupe::domain {

struct usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total() const { return prompt_tokens + completion_tokens; }
};

struct completion_choice {
  int index = 0;
  // An assistant message: content (text, or null when it only calls tools),
  // tool_calls, refusal, and fields such as annotations or audio.
  chat_message message{role::assistant, ""};
  std::string finish_reason = "stop";
  std::string logprobs_json;  // as the upstream gave it; empty: null
};

// A tool the agent ran on its own during the turn (not the client's).
struct server_tool_call {
  std::string call_id, name, arguments;
  std::string status;  // done | error
  std::int64_t duration_ms = 0;
};

struct completion_result {
  std::vector<completion_choice> choices = std::vector<completion_choice>(1);
  usage tokens;
  std::string usage_json;  // the upstream's whole usage object; empty: written from `tokens`
  std::string system_fingerprint;
  std::string service_tier;
  // The agent's tool loop: what it stored before the reply (calls and
  // results), whether the reply itself is among them, and the calls it ran.
  message_list steps;
  bool reply_in_steps = false;
  std::vector<server_tool_call> server_calls;

  completion_choice& first() { return choices.front(); }
  const completion_choice& first() const { return choices.front(); }
};

// The assistant message a session keeps of a reply: what a client resends
// (content, tool calls, refusal), without reply-only fields (annotations, audio).
// A legacy client (`functions`) sees only the first tool call, as a
// function_call without an id; it is kept under the id its result will name.
chat_message stored_reply(const chat_message& m, bool legacy_functions = false);

}  // namespace troupe::domain
