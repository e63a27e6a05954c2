#pragma once
#include "storage/key_store.hpp"
#include "storage/postgres/pg_db.hpp"
#include "storage/usage_store.hpp"

namespace troupe::storage {

// Keys as their record JSON (never the secret), like sqlite_key_store.
class pg_key_store final : public key_store {
 public:
  explicit pg_key_store(const std::string& uri);
  bool insert(const domain::api_key& k) override;
  bool update(const domain::api_key& k) override;
  bool remove(const std::string& id) override;
  std::optional<domain::api_key> get(const std::string& id) const override;
  std::vector<domain::api_key> list(const domain::key_query& q) const override;

 private:
  // Adds the write's cluster event and commits.
  void commit_with_event(pg_transaction& tx, const std::string& id);

  mutable pg_db db_;
};

// usage_daily: one row per (day, user, key, agent), added to in place.
class pg_usage_store final : public usage_store {
 public:
  explicit pg_usage_store(const std::string& uri);
  void add(const std::vector<domain::usage_entry>& entries) override;
  std::vector<domain::usage_total> query(const domain::usage_query& q) const override;
  // Rewrites the schema_version row in a transaction of its own.
  bool probe_write() override;

 private:
  mutable pg_db db_;
};

}  // namespace troupe::storage
