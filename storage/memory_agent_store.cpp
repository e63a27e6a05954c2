#include "storage/memory_agent_store.hpp"

namespace troupe::storage {

write_status memory_agent_store::insert(const domain::agent_config& a) {
  if (seq_of_id_.count(a.id)) return write_status::duplicate_id;
  if (id_of_name_.count(a.name)) return write_status::duplicate_name;
  auto seq = next_seq_++;
  by_seq_.emplace(seq, a);
  seq_of_id_.emplace(a.id, seq);
  id_of_name_.emplace(a.name, a.id);
  return write_status::ok;
}

write_status memory_agent_store::update(const domain::agent_config& a) {
  auto it = seq_of_id_.find(a.id);
  if (it == seq_of_id_.end()) return write_status::not_found;
  auto named = id_of_name_.find(a.name);
  if (named != id_of_name_.end() && named->second != a.id) return write_status::duplicate_name;
  auto& stored = by_seq_.at(it->second);
  id_of_name_.erase(stored.name);
  id_of_name_.emplace(a.name, a.id);
  stored = a;
  return write_status::ok;
}

bool memory_agent_store::remove(const std::string& id) {
  auto it = seq_of_id_.find(id);
  if (it == seq_of_id_.end()) return false;
  auto node = by_seq_.find(it->second);
  id_of_name_.erase(node->second.name);
  by_seq_.erase(node);
  seq_of_id_.erase(it);
  return true;
}

std::optional<domain::agent_config> memory_agent_store::get(const std::string& id) const {
  auto it = seq_of_id_.find(id);
  if (it == seq_of_id_.end()) return std::nullopt;
  return by_seq_.at(it->second);
}

std::vector<domain::agent_config> memory_agent_store::list(const domain::agent_query& q) const {
  std::vector<domain::agent_config> out;
  std::int64_t skipped = 0;
  for (auto& [seq, a] : by_seq_) {
    if (!domain::matches(q, a)) continue;
    if (skipped++ < q.offset) continue;
    if (static_cast<std::int64_t>(out.size()) >= q.limit) break;
    out.push_back(a);
  }
  return out;
}

std::size_t memory_agent_store::count() const { return by_seq_.size(); }

}  // namespace troupe::storage
