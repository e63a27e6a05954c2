#include "storage/memory_usage_store.hpp"

namespace troupe::storage {

void memory_usage_store::add(const std::vector<domain::usage_entry>& entries) {
  for (auto& e : entries) {
    auto [it, fresh] = rows_.try_emplace(row_key{e.day, e.user_id, e.key_id, e.agent_id}, e);
    if (!fresh) it->second.counts += e.counts;
  }
}

std::vector<domain::usage_total> memory_usage_store::query(const domain::usage_query& q) const {
  std::vector<domain::usage_entry> all;
  all.reserve(rows_.size());
  for (auto& [k, e] : rows_) all.push_back(e);
  return domain::summarize(all, q);
}

}  // namespace troupe::storage
