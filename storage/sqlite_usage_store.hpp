#pragma once
#include "storage/sqlite_db.hpp"
#include "storage/usage_store.hpp"

namespace troupe::storage {

// usage_daily: one row per (day, user, key, agent), added to in place.
class sqlite_usage_store final : public usage_store {
 public:
  explicit sqlite_usage_store(const std::string& path);
  void add(const std::vector<domain::usage_entry>& entries) override;
  std::vector<domain::usage_total> query(const domain::usage_query& q) const override;

 private:
  mutable sqlite_db db_;
};

}  // namespace troupe::storage
