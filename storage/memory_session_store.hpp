#pragma once
#include <cstdint>
#include <map>
#include <unordered_map>

#include "storage/session_store.hpp"

namespace troupe::storage {

class memory_session_store final : public session_store {
 public:
  bool blocks() const override { return false; }
  std::vector<std::string> append_turns(const std::vector<turn_write>& turns) override;
  std::optional<domain::session_info> get(const std::string& id) const override;
  domain::message_list history(const std::string& id, std::size_t last_n) const override;
  std::optional<domain::session_info> find_continuation(
      const std::string& agent_id, const std::string& user_id,
      const std::vector<continuation_candidate>& candidates) const override;
  std::optional<domain::turn_key> find_turn_key(const std::string& session_id,
                                                const std::string& key) const override;
  std::vector<domain::session_info> list(const domain::session_query& q) const override;
  bool remove(const std::string& id) override;
  std::vector<std::string> remove_by_agent(const std::string& agent_id) override;
  std::size_t count() const override;

  std::optional<domain::response_record> get_response(const std::string& id) const override;
  bool remove_response(const std::string& id) override;
  std::optional<std::string> session_of_item(const std::string& item_id) const override;
  std::vector<domain::stored_item> items(const std::string& session_id) const override;
  std::optional<domain::session_info> fork(const std::string& from, std::size_t count,
                                           const std::string& new_id) override;
  bool set_metadata(const std::string& id, const std::string& metadata_json) override;
  std::optional<domain::session_info> remove_item(const std::string& session_id,
                                                  const std::string& item_id) override;

 private:
  struct entry {
    std::uint64_t seq;
    domain::session_info info;
    domain::message_list messages;
    std::vector<std::string> item_ids;  // "" for derived ones
    std::vector<std::int64_t> positions;  // what derived ids are made of
    std::int64_t next_position = 0;
    std::unordered_map<std::string, domain::turn_key> keys;  // idempotency key → its turn
  };
  entry& create(const domain::session_info& info);
  void write(const turn_write& t);
  void rehash(entry& e);
  std::string item_id_of(const entry& e, std::size_t i) const;

  std::uint64_t next_seq_ = 0;
  std::unordered_map<std::string, entry> sessions_;
  std::map<std::uint64_t, std::string> order_;  // creation order for listing
  std::unordered_multimap<std::uint64_t, std::string> by_hash_;  // conversation hash → id
  std::unordered_map<std::string, domain::response_record> responses_;
  std::unordered_map<std::string, std::string> item_sessions_;  // output item → session

  void unindex(const entry& e);
};

}  // namespace troupe::storage
