#include "domain/chat/history.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_set>

namespace troupe::domain {

std::size_t new_messages_begin(const message_list& held, std::size_t stored_count,
                               const message_list& incoming, std::size_t from) {
  if (from > incoming.size()) return incoming.size();
  if (stored_count == 0 || held.size() > stored_count) return from;
  if (incoming.size() - from >= stored_count) {
    auto first = incoming.begin() + static_cast<std::ptrdiff_t>(from + stored_count - held.size());
    if (std::equal(held.begin(), held.end(), first,
                   [](const chat_message& a, const chat_message& b) { return a.same_as(b); }))
      return from + stored_count;
  }
  // The agent's own tool calls and their results are stored but never reach
  // the client, so its resend lacks them: align, skipping such rounds. Only
  // when the whole conversation is held (the rounds cannot be told apart by
  // their count alone).
  if (held.size() != stored_count) return from;
  std::size_t i = 0, j = from;
  bool skipped = false;
  while (i < held.size()) {
    if (j < incoming.size() && held[i].same_as(incoming[j])) {
      ++i, ++j;
      continue;
    }
    if (held[i].role != role::assistant || held[i].tool_calls().empty()) return from;
    for (++i; i < held.size() && held[i].role == role::tool; ++i) {
    }
    skipped = true;
  }
  return skipped && j > from ? j : from;
}

std::size_t history_window::size() const {
  std::size_t n = 0;
  for (auto& r : ranges) n += r.end - r.begin;
  return n;
}

history_window window_of(const message_list& held, const conversation_config& cfg,
                         const message_list& following, std::size_t following_begin) {
  history_window w;
  if (!cfg.continuous || cfg.history_length <= 0 || held.empty()) return w;
  auto end = held.size();
  auto begin = end - std::min<std::size_t>(end, static_cast<std::size_t>(cfg.history_length));
  // Results whose assistant message fell off the front are orphans.
  while (begin < end && held[begin].role == role::tool) ++begin;
  bool irregular = false;
  for (auto i = begin; i < end && !irregular; ++i)
    irregular = held[i].role == role::tool || !held[i].tool_calls().empty();
  if (!irregular) {  // the common case: no tool exchange in the window
    if (begin < end) w.ranges.push_back({begin, end});
    return w;
  }
  std::unordered_set<std::string_view> answered;
  for (auto i = begin; i < end; ++i)
    if (held[i].role == role::tool) answered.insert(held[i].tool_call_id());
  for (auto i = following_begin; i < following.size(); ++i)
    if (following[i].role == role::tool) answered.insert(following[i].tool_call_id());
  // Keep an assistant's tool calls only when all are answered; keep a result
  // only when a kept assistant message before it asked for it.
  std::vector<bool> keep(end - begin, true);
  std::unordered_set<std::string_view> asked;
  for (auto i = begin; i < end; ++i) {
    auto& m = held[i];
    if (m.role == role::tool) {
      keep[i - begin] = asked.count(m.tool_call_id()) > 0;
    } else if (!m.tool_calls().empty()) {
      auto& calls = m.tool_calls();
      bool complete = std::all_of(calls.begin(), calls.end(),
                                  [&](const tool_call& c) { return answered.count(c.id) > 0; });
      keep[i - begin] = complete;
      if (complete)
        for (auto& c : calls) asked.insert(c.id);
    }
  }
  for (auto i = begin; i < end; ++i) {
    if (!keep[i - begin]) continue;
    if (!w.ranges.empty() && w.ranges.back().end == i)
      ++w.ranges.back().end;
    else
      w.ranges.push_back({i, i + 1});
  }
  return w;
}

std::size_t leading_system_count(const message_list& incoming) {
  std::size_t n = 0;
  while (n < incoming.size() && incoming[n].role == role::system) ++n;
  return n;
}

}  // namespace troupe::domain
