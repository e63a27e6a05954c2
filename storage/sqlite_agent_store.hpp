#pragma once
#include "storage/agent_store.hpp"
#include "storage/sqlite_db.hpp"

namespace troupe::storage {

// Agents as the JSON the API shows (encode_agent), with the columns that
// uniqueness and listing need. Every write is its own durable transaction.
class sqlite_agent_store final : public agent_store {
 public:
  // The schema must be migrated already (open_storage does it).
  explicit sqlite_agent_store(const std::string& path);

  write_status insert(const domain::agent_config& a) override;
  write_status update(const domain::agent_config& a) override;
  bool remove(const std::string& id) override;
  std::optional<domain::agent_config> get(const std::string& id) const override;
  std::vector<domain::agent_config> list(const domain::agent_query& q) const override;
  std::size_t count() const override;

 private:
  // The id owning `name`, if any.
  std::optional<std::string> owner_of_name(const std::string& name) const;

  mutable sqlite_db db_;
};

}  // namespace troupe::storage
