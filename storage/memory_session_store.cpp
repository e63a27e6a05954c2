#include "storage/memory_session_store.hpp"

#include <algorithm>

namespace troupe::storage {

void memory_session_store::append_turn(const domain::session_info& info,
                                       const domain::message_list& messages) {
  auto it = sessions_.find(info.id);
  if (it == sessions_.end()) {
    auto seq = next_seq_++;
    it = sessions_.emplace(info.id, entry{seq, info, {}}).first;
    order_.emplace(seq, info.id);
  }
  auto& e = it->second;
  unindex(e);
  e.messages.insert(e.messages.end(), messages.begin(), messages.end());
  e.info.last_activity_ms = info.last_activity_ms;
  e.info.message_count = static_cast<std::int64_t>(e.messages.size());
  e.info.conv_hash = info.conv_hash;
  by_hash_.emplace(e.info.conv_hash, info.id);
}

void memory_session_store::unindex(const entry& e) {
  auto [b, end] = by_hash_.equal_range(e.info.conv_hash);
  for (auto it = b; it != end; ++it)
    if (it->second == e.info.id) {
      by_hash_.erase(it);
      return;
    }
}

std::optional<domain::session_info> memory_session_store::find_continuation(
    const std::string& agent_id, const std::string& user_id,
    const std::vector<continuation_candidate>& candidates) const {
  const entry* best = nullptr;
  for (auto& c : candidates) {
    auto [b, end] = by_hash_.equal_range(c.hash);
    for (auto it = b; it != end; ++it) {
      auto& e = sessions_.at(it->second);
      if (e.info.agent_id != agent_id || e.info.user_id != user_id ||
          e.messages.size() != c.length)
        continue;
      if (!best || best->messages.size() < e.messages.size() ||
          (best->messages.size() == e.messages.size() && best->seq < e.seq))
        best = &e;
    }
  }
  if (!best) return std::nullopt;
  return best->info;
}

std::optional<domain::session_info> memory_session_store::get(const std::string& id) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  return it->second.info;
}

domain::message_list memory_session_store::history(const std::string& id,
                                                   std::size_t last_n) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return {};
  auto& all = it->second.messages;
  auto n = std::min(last_n, all.size());
  return {all.end() - static_cast<std::ptrdiff_t>(n), all.end()};
}

std::vector<domain::session_info> memory_session_store::list(const domain::session_query& q) const {
  std::vector<domain::session_info> out;
  std::int64_t skipped = 0;
  for (auto& [seq, id] : order_) {
    auto& info = sessions_.at(id).info;
    if (!domain::matches(q, info)) continue;
    if (skipped++ < q.offset) continue;
    if (static_cast<std::int64_t>(out.size()) >= q.limit) break;
    out.push_back(info);
  }
  return out;
}

bool memory_session_store::remove(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  order_.erase(it->second.seq);
  unindex(it->second);
  sessions_.erase(it);
  return true;
}

std::vector<std::string> memory_session_store::remove_by_agent(const std::string& agent_id) {
  std::vector<std::string> removed;
  for (auto& [id, e] : sessions_)
    if (e.info.agent_id == agent_id) removed.push_back(id);
  for (auto& id : removed) remove(id);
  return removed;
}

std::size_t memory_session_store::count() const { return sessions_.size(); }

}  // namespace troupe::storage
