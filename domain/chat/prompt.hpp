#pragma once
// What an agent hands its provider: its system prompt, the turn's
// instructions, the stored history window and the messages the client sent,
// by reference into immutable snapshots (nothing is copied per turn).
#include <memory>

#include "domain/chat/history.hpp"
#include "domain/openai/completion_request.hpp"

namespace troupe::domain {

struct prompt {
  chat_message system_prompt{role::system, ""};
  std::shared_ptr<const completion_request> request;
  std::size_t instructions_end = 0;  // request->messages[0, instructions_end): leading system
  std::size_t new_begin = 0;         // request->messages[new_begin, end): sent after the history
  std::shared_ptr<const message_list> history;
  history_window window;
  // The agent's own tool loop: the calls and results so far (after the
  // request's messages), the tools it offers besides the client's (specs for
  // its own providers, OpenAI tool JSON elements for an upstream), and a
  // tool_choice that replaces the request's (its last call: "none").
  std::shared_ptr<const message_list> loop;
  std::vector<tool_spec> server_tools;
  std::string server_tools_json;
  std::string tool_choice_override;

  // Calls f(const chat_message&) in the order the model sees the conversation.
  template <class F>
  void for_each(F&& f) const {
    if (!system_prompt.content.empty()) f(system_prompt);
    auto& msgs = request->messages;
    for (std::size_t i = 0; i < instructions_end; ++i) f(msgs[i]);
    for (auto& r : window.ranges)
      for (std::size_t i = r.begin; i < r.end; ++i) f((*history)[i]);
    for (std::size_t i = new_begin; i < msgs.size(); ++i) f(msgs[i]);
    if (loop)
      for (auto& m : *loop) f(m);
  }

  // The last message the model sees (the request always has one).
  const chat_message& last() const {
    return loop && !loop->empty() ? loop->back() : request->messages.back();
  }
};

}  // namespace troupe::domain
