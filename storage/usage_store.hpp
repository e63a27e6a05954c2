#pragma once
// Daily usage sums per user, key and agent. Only the usage repository actor
// calls this (and the start-up that seeds budgets).
#include <vector>

#include "domain/keys/usage.hpp"
#include "storage/agent_store.hpp"

namespace troupe::storage {

class usage_store {
 public:
  virtual ~usage_store() = default;
  virtual bool blocks() const { return true; }
  // Adds the entries to the stored sums, in one durable commit.
  virtual void add(const std::vector<domain::usage_entry>& entries) = 0;
  // Sums of the matching rows per the query's group, groups ascending.
  virtual std::vector<domain::usage_total> query(const domain::usage_query& q) const = 0;
  // While the storage is failing, the usage repository calls this every
  // second: true when a small durable write went through (the backend is
  // back), false when the backend cannot tell (SQLite, memory: then health
  // waits for a real write). Throws storage_error while it still fails.
  virtual bool probe_write() { return false; }
};

}  // namespace troupe::storage
