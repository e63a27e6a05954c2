#pragma once
#include <cstdint>
#include <map>
#include <unordered_map>

#include "storage/key_store.hpp"

namespace troupe::storage {

class memory_key_store final : public key_store {
 public:
  bool blocks() const override { return false; }
  bool insert(const domain::api_key& k) override;
  bool update(const domain::api_key& k) override;
  bool remove(const std::string& id) override;
  std::optional<domain::api_key> get(const std::string& id) const override;
  std::vector<domain::api_key> list(const domain::key_query& q) const override;

 private:
  std::uint64_t next_seq_ = 0;
  std::map<std::uint64_t, domain::api_key> by_seq_;  // creation order
  std::unordered_map<std::string, std::uint64_t> seq_of_id_;
};

}  // namespace troupe::storage
