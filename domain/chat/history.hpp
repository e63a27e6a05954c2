#pragma once
// How a turn's context is built from a session's stored conversation.
#include <cstddef>
#include <vector>

#include "domain/agents/agent_config.hpp"
#include "domain/chat/chat_message.hpp"

namespace troupe::domain {

// The most history an agent may see (historyLength's upper bound), and so
// the most a live session keeps in memory.
inline constexpr std::size_t max_history_window = 1000;

// Index into `incoming` where the messages new to this session begin,
// looking at incoming[from, end). A client that resends the whole
// conversation sends the stored history first: when incoming[from, end)
// starts with the stored conversation, only the tail after it is new (none
// when it is exactly the stored conversation: the model answers the history
// as it stands). Otherwise everything from `from` on is new.
// `held` is the newest part of the stored conversation (a live session keeps
// a bounded window), `stored_count` its full length; the resend is
// recognised by that length and the held messages at their position, or,
// when the whole conversation is held, by aligning it with the incoming
// messages where rounds of the agent's own tool calls (stored, never sent to
// the client) are missing.
std::size_t new_messages_begin(const message_list& held, std::size_t stored_count,
                               const message_list& incoming, std::size_t from = 0);

// The part of the held history the model sees, as ranges of indices in
// conversation order: the newest `history_length` messages (none when the
// conversation is not continuous), adjusted at tool boundaries so OpenAI
// accepts it: it never starts with a tool result whose assistant message was
// cut away, and it never keeps an assistant message with tool calls unless
// every call has its result (in the window or in `following`, the messages
// sent after the window); such a message goes together with its results.
struct history_window {
  struct range {
    std::size_t begin = 0, end = 0;
  };
  std::vector<range> ranges;
  std::size_t size() const;
};
history_window window_of(const message_list& held, const conversation_config& cfg,
                         const message_list& following = {}, std::size_t following_begin = 0);

// Splits leading system messages off a request: they are instructions for
// this turn (placed after the agent's prompt), not part of the stored
// conversation. Returns the index of the first non-system message.
std::size_t leading_system_count(const message_list& incoming);

}  // namespace troupe::domain
