#pragma once
#include "storage/agent_store.hpp"
#include "storage/postgres/pg_db.hpp"

namespace troupe::storage {

// Agents in PostgreSQL: the same rows as sqlite_agent_store (the API's JSON
// plus the columns uniqueness and listing need). Every write commits alone,
// with its cluster_events row in the same transaction.
class pg_agent_store final : public agent_store {
 public:
  // The schema must be migrated already (open_storage does it).
  explicit pg_agent_store(const std::string& uri);

  write_status insert(const domain::agent_config& a) override;
  write_status update(const domain::agent_config& a) override;
  bool remove(const std::string& id) override;
  std::optional<domain::agent_config> get(const std::string& id) const override;
  std::vector<domain::agent_config> list(const domain::agent_query& q) const override;
  // COUNT(*) each time (other nodes write agents too); the last count while
  // the server is away, so that GET /v1/health still answers, `degraded`.
  std::size_t count() const override;

 private:
  std::optional<std::string> owner_of_name(const std::string& name) const;

  mutable pg_db db_;
  mutable std::size_t count_ = 0;
};

}  // namespace troupe::storage
