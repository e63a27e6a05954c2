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

  // Calls f(const chat_message&) in the order the model sees the conversation.
  template <class F>
  void for_each(F&& f) const {
    if (!system_prompt.content.empty()) f(system_prompt);
    auto& msgs = request->messages;
    for (std::size_t i = 0; i < instructions_end; ++i) f(msgs[i]);
    for (auto& r : window.ranges)
      for (std::size_t i = r.begin; i < r.end; ++i) f((*history)[i]);
    for (std::size_t i = new_begin; i < msgs.size(); ++i) f(msgs[i]);
  }

  // The last message the model sees (the request always has one).
  const chat_message& last() const { return request->messages.back(); }
};

}  // namespace troupe::domain
