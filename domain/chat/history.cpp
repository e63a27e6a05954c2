#include "domain/chat/history.hpp"

#include <algorithm>

namespace troupe::domain {

std::size_t new_messages_begin(const message_list& held, std::size_t stored_count,
                               const message_list& incoming, std::size_t from) {
  if (from > incoming.size()) return incoming.size();
  if (stored_count == 0 || incoming.size() - from < stored_count || held.size() > stored_count)
    return from;
  auto first = incoming.begin() + static_cast<std::ptrdiff_t>(from + stored_count - held.size());
  bool resent = std::equal(held.begin(), held.end(), first,
                           [](const chat_message& a, const chat_message& b) { return a.same_as(b); });
  return resent ? from + stored_count : from;
}

history_window window_of(std::size_t stored_count, const conversation_config& cfg) {
  if (!cfg.continuous || cfg.history_length <= 0) return {stored_count, stored_count};
  auto keep = std::min<std::size_t>(stored_count, static_cast<std::size_t>(cfg.history_length));
  return {stored_count - keep, stored_count};
}

std::size_t leading_system_count(const message_list& incoming) {
  std::size_t n = 0;
  while (n < incoming.size() && incoming[n].role == role::system) ++n;
  return n;
}

}  // namespace troupe::domain
