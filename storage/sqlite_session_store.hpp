#pragma once
#include "storage/session_store.hpp"
#include "storage/sqlite_db.hpp"

namespace troupe::storage {

class sqlite_session_store final : public session_store {
 public:
  // The newest-N read; public so a test can check its query plan.
  static constexpr const char* history_sql =
      "SELECT m.role, m.content, m.created_at, m.body FROM sessions s JOIN messages m "
      "ON m.session_seq = s.seq WHERE s.id = ? ORDER BY m.idx DESC LIMIT ?;";

  // The schema must be migrated already (open_storage does it).
  // With create=false the database must exist (see sqlite_db).
  explicit sqlite_session_store(const std::string& path, bool create = true);

  std::vector<std::string> append_turns(const std::vector<turn_write>& turns) override;
  std::uint64_t commits() const override { return commits_; }
  std::optional<domain::session_info> get(const std::string& id) const override;
  domain::message_list history(const std::string& id, std::size_t last_n) const override;
  // Both reads in one read transaction: another process may be writing.
  std::optional<session_dump> dump(const std::string& id) const override;
  std::optional<domain::session_info> find_continuation(
      const std::string& agent_id, const std::string& user_id,
      const std::vector<continuation_candidate>& candidates) const override;
  std::optional<domain::turn_key> find_turn_key(const std::string& session_id,
                                                const std::string& key) const override;
  std::vector<domain::session_info> list(const domain::session_query& q) const override;
  bool remove(const std::string& id) override;
  std::vector<std::string> remove_by_agent(const std::string& agent_id) override;
  std::size_t count() const override { return count_; }

  // sqlite_session_items.cpp
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
  // Writes one turn inside the caller's transaction; true if it created the session.
  bool write_turn(const turn_write& t);
  void write_response(const domain::response_record& r);
  // The session's (seq, next message position), creating its row if needed;
  // the bool is true when it was created.
  std::tuple<std::int64_t, std::int64_t, bool> session_row(const domain::session_info& info);
  // Recomputes a session's count and hash from its rows (after an item went).
  domain::session_info rehash(std::int64_t seq, const std::string& id);

  mutable sqlite_db db_;  // reads use cached statements too
  std::size_t count_ = 0;
  std::uint64_t commits_ = 0;
};

// Shared by the two source files of the store.
namespace detail {
#define TROUPE_SESSION_COLUMNS \
  "id, agent_id, user_id, created_at, last_activity, message_count, conv_hash, metadata, next_idx"
domain::session_info read_session_row(const sqlite_query& q);
// A message row: plain ones are role and content; others hold their JSON in `body`.
domain::chat_message read_message_row(const sqlite_query& q, int role_col, int content_col,
                                      int created_col, int body_col);
}  // namespace detail

}  // namespace troupe::storage
