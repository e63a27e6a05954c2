#pragma once
#include <cstdint>
#include <map>
#include <unordered_map>

#include "storage/session_store.hpp"

namespace troupe::storage {

class memory_session_store final : public session_store {
 public:
  bool blocks() const override { return false; }
  void append_turn(const domain::session_info& info, const domain::message_list& messages) override;
  std::optional<domain::session_info> get(const std::string& id) const override;
  domain::message_list history(const std::string& id, std::size_t last_n) const override;
  std::optional<domain::session_info> find_continuation(
      const std::string& agent_id, const std::string& user_id,
      const std::vector<continuation_candidate>& candidates) const override;
  std::vector<domain::session_info> list(const domain::session_query& q) const override;
  bool remove(const std::string& id) override;
  std::vector<std::string> remove_by_agent(const std::string& agent_id) override;
  std::size_t count() const override;

 private:
  struct entry {
    std::uint64_t seq;
    domain::session_info info;
    domain::message_list messages;
  };
  std::uint64_t next_seq_ = 0;
  std::unordered_map<std::string, entry> sessions_;
  std::map<std::uint64_t, std::string> order_;  // creation order for listing
  std::unordered_multimap<std::uint64_t, std::string> by_hash_;  // conversation hash → id

  void unindex(const entry& e);
};

}  // namespace troupe::storage
