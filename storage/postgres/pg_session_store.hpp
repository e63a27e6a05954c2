#pragma once
#include <tuple>

#include "storage/postgres/pg_db.hpp"
#include "storage/session_store.hpp"

namespace troupe::storage {

// Sessions in PostgreSQL, with the semantics of sqlite_session_store: one
// savepoint per turn inside a group commit, items, responses, forks.
class pg_session_store final : public session_store {
 public:
  // The schema must be migrated already (open_storage does it).
  explicit pg_session_store(const std::string& uri);

  // A turn with an owner_epoch is stored only while its node holds the
  // session at that epoch (checked and locked in the same transaction).
  // The whole batch goes in one pipeline (pg_pipeline): one round trip from
  // BEGIN to the last turn, one for COMMIT, one more after each turn that fails.
  std::vector<std::string> append_turns(const std::vector<turn_write>& turns) override;
  // One statement; the first claim of a session gives epoch 1.
  std::uint64_t claim(const std::string& id, const std::string& node_id) override;
  std::uint64_t commits() const override { return commits_; }
  // Of this store's connection (pg_db::round_trips).
  std::uint64_t round_trips() const { return db_.round_trips(); }
  std::optional<domain::session_info> get(const std::string& id) const override;
  domain::message_list history(const std::string& id, std::size_t last_n) const override;
  // Both reads in one snapshot: other connections may be writing.
  std::optional<session_dump> dump(const std::string& id) const override;
  std::optional<domain::session_info> find_continuation(
      const std::string& agent_id, const std::string& user_id,
      const std::vector<continuation_candidate>& candidates) const override;
  std::optional<domain::turn_key> find_turn_key(const std::string& session_id,
                                                const std::string& key) const override;
  std::vector<domain::session_info> list(const domain::session_query& q) const override;
  bool remove(const std::string& id) override;
  std::vector<std::string> remove_by_agent(const std::string& agent_id) override;
  // COUNT(*) each time (other nodes create sessions); the last count while
  // the server is away.
  std::size_t count() const override;

  // pg_session_items.cpp
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
  // One statement of a turn, its parameters bound.
  struct statement {
    enum class kind { guard, turn, response, key };
    kind what;
    const char* sql;
    std::vector<pg_param> params;
  };
  // A turn's statements: with `fence`, first a guard that fails unless t's
  // node still owns the session at its epoch (that row locked), before the
  // session row is touched; then the turn (session row and messages) in one
  // statement, its response, its idempotency key. Throws storage_error for a
  // value PostgreSQL cannot store, before anything is sent.
  std::vector<statement> plan_turn(const turn_write& t, bool fence) const;
  static statement response_statement(const domain::response_record& r);
  // Writes one turn inside the caller's transaction, one statement after the
  // other; true if it created the session.
  bool write_turn(const turn_write& t);
  // Throws storage_error(fenced_prefix…) unless t's node still owns its session.
  void check_owner(const turn_write& t);
  domain::session_info rehash(std::int64_t seq, const std::string& id);

  mutable pg_db db_;
  mutable std::size_t count_ = 0;
  std::uint64_t commits_ = 0;
};

namespace pg_detail {
#define TROUPE_PG_SESSION_COLUMNS \
  "id, agent_id, user_id, created_at, last_activity, message_count, conv_hash, metadata, next_idx"
domain::session_info read_session_row(const pg_result& r, int row);
// Plain messages are role and content; others hold their JSON in `body`.
domain::chat_message read_message_row(const pg_result& r, int row, int role_col, int content_col,
                                      int created_col, int body_col);
}  // namespace pg_detail

}  // namespace troupe::storage
