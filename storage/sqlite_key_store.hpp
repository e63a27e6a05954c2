#pragma once
#include "storage/key_store.hpp"
#include "storage/sqlite_db.hpp"

namespace troupe::storage {

// Keys as their record JSON (encode_key_record: limits, prefix, hash; never
// the secret), with the columns lookups need. Every write is durable.
class sqlite_key_store final : public key_store {
 public:
  // The schema must be migrated already (open_storage does it).
  explicit sqlite_key_store(const std::string& path);

  bool insert(const domain::api_key& k) override;
  bool update(const domain::api_key& k) override;
  bool remove(const std::string& id) override;
  std::optional<domain::api_key> get(const std::string& id) const override;
  std::vector<domain::api_key> list(const domain::key_query& q) const override;

 private:
  mutable sqlite_db db_;
};

}  // namespace troupe::storage
