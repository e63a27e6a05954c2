#include "storage/memory_session_store.hpp"

#include <algorithm>

#include "domain/chat/conversation_hash.hpp"

namespace troupe::storage {

memory_session_store::entry& memory_session_store::create(const domain::session_info& info) {
  auto seq = next_seq_++;
  auto& e = sessions_.emplace(info.id, entry{seq, info, {}, {}, {}, 0, {}}).first->second;
  e.info.message_count = 0;
  e.info.next_position = 0;
  e.info.conv_hash = domain::empty_conversation_hash;
  by_hash_.emplace(e.info.conv_hash, info.id);
  order_.emplace(seq, info.id);
  return e;
}

void memory_session_store::write(const turn_write& t) {
  auto it = sessions_.find(t.info.id);
  auto& e = it == sessions_.end() ? create(t.info) : it->second;
  unindex(e);
  for (std::size_t i = 0; i < t.messages.size(); ++i) {
    e.messages.push_back(t.messages[i]);
    e.item_ids.push_back(i < t.item_ids.size() ? t.item_ids[i] : std::string());
    e.positions.push_back(e.next_position++);
  }
  e.info.next_position = e.next_position;
  if (e.info.agent_id.empty()) e.info.agent_id = t.info.agent_id;
  e.info.last_activity_ms = t.info.last_activity_ms;
  e.info.message_count = static_cast<std::int64_t>(e.messages.size());
  e.info.conv_hash = t.info.conv_hash;
  if (!t.info.metadata_json.empty()) e.info.metadata_json = t.info.metadata_json;
  by_hash_.emplace(e.info.conv_hash, t.info.id);
  if (t.key) e.keys[t.key->key] = *t.key;
  if (t.response) {
    responses_[t.response->id] = *t.response;
    for (auto& item : t.response->output_item_ids) item_sessions_[item] = t.info.id;
  }
}

std::vector<std::string> memory_session_store::append_turns(const std::vector<turn_write>& turns) {
  for (auto& t : turns) write(t);
  return std::vector<std::string>(turns.size());
}

std::optional<domain::turn_key> memory_session_store::find_turn_key(const std::string& session_id,
                                                                   const std::string& key) const {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return std::nullopt;
  auto k = it->second.keys.find(key);
  if (k == it->second.keys.end()) return std::nullopt;
  return k->second;
}

void memory_session_store::unindex(const entry& e) {
  auto [b, end] = by_hash_.equal_range(e.info.conv_hash);
  for (auto it = b; it != end; ++it)
    if (it->second == e.info.id) {
      by_hash_.erase(it);
      return;
    }
}

void memory_session_store::rehash(entry& e) {
  unindex(e);
  e.info.conv_hash = domain::conversation_hash(e.messages.begin(), e.messages.end());
  e.info.message_count = static_cast<std::int64_t>(e.messages.size());
  by_hash_.emplace(e.info.conv_hash, e.info.id);
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
          e.messages.size() < c.length)
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
  for (auto r = responses_.begin(); r != responses_.end();)
    r = r->second.session_id == id ? responses_.erase(r) : std::next(r);
  for (auto i = item_sessions_.begin(); i != item_sessions_.end();)
    i = i->second == id ? item_sessions_.erase(i) : std::next(i);
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

std::optional<domain::response_record> memory_session_store::get_response(const std::string& id) const {
  auto it = responses_.find(id);
  if (it == responses_.end()) return std::nullopt;
  return it->second;
}

bool memory_session_store::remove_response(const std::string& id) { return responses_.erase(id) > 0; }

std::optional<std::string> memory_session_store::session_of_item(const std::string& item_id) const {
  auto it = item_sessions_.find(item_id);
  if (it == item_sessions_.end()) return std::nullopt;
  return it->second;
}

std::string memory_session_store::item_id_of(const entry& e, std::size_t i) const {
  if (!e.item_ids[i].empty()) return e.item_ids[i];
  return domain::derived_item_id(e.info.id, e.positions[i], e.messages[i].role);
}

std::vector<domain::stored_item> memory_session_store::items(const std::string& session_id) const {
  std::vector<domain::stored_item> out;
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return out;
  auto& e = it->second;
  for (std::size_t i = 0; i < e.messages.size(); ++i) out.push_back({item_id_of(e, i), e.messages[i]});
  return out;
}

std::optional<domain::session_info> memory_session_store::fork(const std::string& from,
                                                               std::size_t count,
                                                               const std::string& new_id) {
  auto it = sessions_.find(from);
  if (it == sessions_.end()) return std::nullopt;
  auto source = it->second;  // create() may rehash the table
  auto info = source.info;
  info.id = new_id;
  auto& e = create(info);
  count = std::min(count, source.messages.size());
  for (std::size_t i = 0; i < count; ++i) {
    e.messages.push_back(source.messages[i]);
    e.item_ids.push_back(item_id_of(source, i));
    e.positions.push_back(e.next_position++);
  }
  e.info.next_position = e.next_position;
  rehash(e);
  return e.info;
}

bool memory_session_store::set_metadata(const std::string& id, const std::string& metadata_json) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  it->second.info.metadata_json = metadata_json;
  return true;
}

std::optional<domain::session_info> memory_session_store::remove_item(const std::string& session_id,
                                                                      const std::string& item_id) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return std::nullopt;
  auto& e = it->second;
  for (std::size_t i = 0; i < e.messages.size(); ++i) {
    auto id = item_id_of(e, i);
    if (id != item_id) {
      auto kept = domain::without_call(e.messages[i], id, item_id);
      if (!kept) continue;
      if (*kept) {  // the rest of the message stays, under the same id
        e.item_ids[i] = id;
        e.messages[i] = std::move(**kept);
        rehash(e);
        return e.info;
      }
    }
    e.messages.erase(e.messages.begin() + static_cast<std::ptrdiff_t>(i));
    e.item_ids.erase(e.item_ids.begin() + static_cast<std::ptrdiff_t>(i));
    e.positions.erase(e.positions.begin() + static_cast<std::ptrdiff_t>(i));
    rehash(e);
    return e.info;
  }
  return std::nullopt;
}

}  // namespace troupe::storage
