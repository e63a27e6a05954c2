#pragma once
// How a turn's context is built from a session's stored conversation.
#include <cstddef>

#include "domain/agent_config.hpp"
#include "domain/chat_message.hpp"

namespace troupe::domain {

// Index into `incoming` where the messages new to this session begin,
// looking at incoming[from, end). A client that resends the whole
// conversation sends the stored history first: when incoming[from, end)
// starts with all of `stored` and goes beyond it, only the tail after it is
// new. Otherwise everything from `from` on is new.
std::size_t new_messages_begin(const message_list& stored, const message_list& incoming,
                               std::size_t from = 0);

// The slice of `stored` the agent sees: the newest `history_length` messages,
// or none when the conversation is not continuous. Returned as [begin, end).
struct history_window {
  std::size_t begin = 0, end = 0;
  std::size_t size() const { return end - begin; }
};
history_window window_of(std::size_t stored_count, const conversation_config& cfg);

// Splits leading system messages off a request: they are instructions for
// this turn (placed after the agent's prompt), not part of the stored
// conversation. Returns the index of the first non-system message.
std::size_t leading_system_count(const message_list& incoming);

}  // namespace troupe::domain
