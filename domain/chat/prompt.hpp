#pragma once
// What an agent hands its provider: its system prompt, the turn's
// instructions, the stored history window and the new messages, by reference
// into immutable snapshots (nothing is copied per turn).
#include <memory>

#include "domain/openai/completion_request.hpp"
#include "domain/chat/history.hpp"

namespace troupe::domain {

struct prompt {
  std::string system_prompt;
  std::shared_ptr<const completion_request> request;
  std::size_t instructions_end = 0;  // request->messages[0, instructions_end): leading system
  std::size_t new_begin = 0;         // request->messages[new_begin, end): sent after the history
  std::shared_ptr<const message_list> history;
  history_window window;

  // Calls f(role, content) in the order the model sees the conversation.
  template <class F>
  void for_each(F&& f) const {
    if (!system_prompt.empty()) f(role::system, system_prompt);
    auto& msgs = request->messages;
    for (std::size_t i = 0; i < instructions_end; ++i) f(msgs[i].role, msgs[i].content);
    for (std::size_t i = window.begin; i < window.end; ++i)
      f((*history)[i].role, (*history)[i].content);
    for (std::size_t i = new_begin; i < msgs.size(); ++i) f(msgs[i].role, msgs[i].content);
  }
};

}  // namespace troupe::domain
