#include "storage/memory_key_store.hpp"

namespace troupe::storage {

bool memory_key_store::insert(const domain::api_key& k) {
  if (seq_of_id_.count(k.id)) return false;
  for (auto& [seq, other] : by_seq_)
    if (other.hash == k.hash) return false;
  auto seq = next_seq_++;
  by_seq_.emplace(seq, k);
  seq_of_id_.emplace(k.id, seq);
  return true;
}

bool memory_key_store::update(const domain::api_key& k) {
  auto it = seq_of_id_.find(k.id);
  if (it == seq_of_id_.end()) return false;
  by_seq_[it->second] = k;
  return true;
}

bool memory_key_store::remove(const std::string& id) {
  auto it = seq_of_id_.find(id);
  if (it == seq_of_id_.end()) return false;
  by_seq_.erase(it->second);
  seq_of_id_.erase(it);
  return true;
}

std::optional<domain::api_key> memory_key_store::get(const std::string& id) const {
  auto it = seq_of_id_.find(id);
  if (it == seq_of_id_.end()) return std::nullopt;
  return by_seq_.at(it->second);
}

std::vector<domain::api_key> memory_key_store::list(const domain::key_query& q) const {
  std::vector<domain::api_key> out;
  std::int64_t skipped = 0;
  for (auto& [seq, k] : by_seq_) {
    if (!q.user_id.empty() && k.user_id != q.user_id) continue;
    if (skipped++ < q.offset) continue;
    if (static_cast<std::int64_t>(out.size()) >= q.limit) break;
    out.push_back(k);
  }
  return out;
}

}  // namespace troupe::storage
