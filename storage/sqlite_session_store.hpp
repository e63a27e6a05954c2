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

  void append_turn(const domain::session_info& info, const domain::message_list& messages) override;
  std::vector<std::string> append_turns(const std::vector<turn_write>& turns) override;
  std::uint64_t commits() const override { return commits_; }
  std::optional<domain::session_info> get(const std::string& id) const override;
  domain::message_list history(const std::string& id, std::size_t last_n) const override;
  // Both reads in one read transaction: another process may be writing.
  std::optional<session_dump> dump(const std::string& id) const override;
  std::optional<domain::session_info> find_continuation(
      const std::string& agent_id, const std::string& user_id,
      const std::vector<continuation_candidate>& candidates) const override;
  std::vector<domain::session_info> list(const domain::session_query& q) const override;
  bool remove(const std::string& id) override;
  std::vector<std::string> remove_by_agent(const std::string& agent_id) override;
  std::size_t count() const override { return count_; }

 private:
  // Writes one turn inside the caller's transaction; true if it created the session.
  bool write_turn(const turn_write& t);

  mutable sqlite_db db_;  // reads use cached statements too
  std::size_t count_ = 0;
  std::uint64_t commits_ = 0;
};

}  // namespace troupe::storage
