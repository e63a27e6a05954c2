#pragma once
#include <cstdint>
#include <map>
#include <unordered_map>

#include "storage/agent_store.hpp"

namespace troupe::storage {

class memory_agent_store final : public agent_store {
 public:
  bool blocks() const override { return false; }
  write_status insert(const domain::agent_config& a) override;
  write_status update(const domain::agent_config& a) override;
  bool remove(const std::string& id) override;
  std::optional<domain::agent_config> get(const std::string& id) const override;
  std::vector<domain::agent_config> list(const domain::agent_query& q) const override;
  std::size_t count() const override;

 private:
  std::uint64_t next_seq_ = 0;
  std::map<std::uint64_t, domain::agent_config> by_seq_;  // creation order
  std::unordered_map<std::string, std::uint64_t> seq_of_id_;
  std::unordered_map<std::string, std::string> id_of_name_;
};

}  // namespace troupe::storage
