#pragma once
#include <map>
#include <string>
#include <tuple>

#include "storage/usage_store.hpp"

namespace troupe::storage {

class memory_usage_store final : public usage_store {
 public:
  bool blocks() const override { return false; }
  void add(const std::vector<domain::usage_entry>& entries) override;
  std::vector<domain::usage_total> query(const domain::usage_query& q) const override;

 private:
  using row_key = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<row_key, domain::usage_entry> rows_;  // one per day, user, key and agent
};

}  // namespace troupe::storage
