#include "storage/postgres/pg_session_store.hpp"

#include "storage/postgres/pg_cluster_store.hpp"

#include <algorithm>

#include "domain/openai/message_codec.hpp"

namespace troupe::storage {

namespace pg_detail {

domain::session_info read_session_row(const pg_result& r, int i) {
  // Column order of TROUPE_PG_SESSION_COLUMNS.
  return domain::session_info{r.text(i, 0),
                              r.text(i, 1),
                              r.text(i, 2),
                              r.integer(i, 3),
                              r.integer(i, 4),
                              r.integer(i, 5),
                              static_cast<std::uint64_t>(r.integer(i, 6)),
                              r.text(i, 7),
                              r.integer(i, 8)};
}

domain::chat_message read_message_row(const pg_result& r, int i, int role_col, int content_col,
                                      int created_col, int body_col) {
  if (!r.is_null(i, body_col)) {
    auto m = domain::decode_message(r.text(i, body_col));
    m.created_at_ms = r.integer(i, created_col);
    return m;
  }
  auto role = domain::parse_role(r.text(i, role_col));
  return {role.value_or(domain::role::user), r.text(i, content_col), r.integer(i, created_col)};
}

}  // namespace pg_detail

using pg_detail::read_message_row;
using pg_detail::read_session_row;
#define SESSION_COLUMNS TROUPE_PG_SESSION_COLUMNS

pg_session_store::pg_session_store(const std::string& uri) : db_(uri) {
  count_ = static_cast<std::size_t>(db_.query("SELECT COUNT(*) FROM sessions;").integer(0, 0));
}

std::size_t pg_session_store::count() const {
  // Exact although other nodes create sessions too; the last count answers
  // while the server is away (health then still says `degraded`).
  try {
    count_ = static_cast<std::size_t>(db_.query("SELECT COUNT(*) FROM sessions;").integer(0, 0));
  } catch (const storage_error&) {
    if (db_.in_transaction()) throw;
  }
  return count_;
}

std::uint64_t pg_session_store::claim(const std::string& id, const std::string& node_id) {
  auto r = db_.query(
      "INSERT INTO session_owners (session_id, node_id, epoch) VALUES ($1, $2, 1) ON CONFLICT "
      "(session_id) DO UPDATE SET epoch = session_owners.epoch + 1, node_id = EXCLUDED.node_id "
      "RETURNING epoch;",
      {id, node_id});
  return static_cast<std::uint64_t>(r.integer(0, 0));
}

void pg_session_store::check_owner(const turn_write& t) {
  // Locked until the commit: a claim by another node waits for it, and a
  // turn after that claim reads the new owner.
  auto r = db_.query("SELECT node_id, epoch FROM session_owners WHERE session_id = $1 FOR SHARE;",
                     {t.info.id});
  if (r.empty())
    throw storage_error(std::string(fenced_prefix) + "session " + t.info.id +
                        " has no owner now (it was removed)");
  auto node = r.text(0, 0);
  auto epoch = r.integer(0, 1);
  if (node != t.owner_node || static_cast<std::uint64_t>(epoch) != t.owner_epoch)
    throw storage_error(std::string(fenced_prefix) + "session " + t.info.id + " is owned by node " +
                        node + " now (epoch " + std::to_string(epoch) + ")");
}

std::optional<session_dump> pg_session_store::dump(const std::string& id) const {
  pg_transaction tx{db_, pg_transaction::kind::read};
  auto d = session_store::dump(id);
  tx.commit();
  return d;
}

std::tuple<std::int64_t, std::int64_t, bool> pg_session_store::session_row(
    const domain::session_info& info) {
  auto found = db_.query("SELECT seq, next_idx FROM sessions WHERE id = $1 FOR UPDATE;", {info.id});
  if (!found.empty()) return {found.integer(0, 0), found.integer(0, 1), false};
  auto made = db_.query(
      "INSERT INTO sessions (id, agent_id, user_id, created_at, last_activity, message_count, "
      "metadata, next_idx) VALUES ($1, $2, $3, $4, $5, 0, $6, 0) RETURNING seq;",
      {info.id, info.agent_id, info.user_id, info.created_at_ms, info.last_activity_ms,
       info.metadata_json});
  return {made.integer(0, 0), 0, true};
}

bool pg_session_store::write_turn(const turn_write& t) {
  if (t.owner_epoch != 0) check_owner(t);  // before the session row: one lock order
  auto [seq, next, created] = session_row(t.info);
  for (std::size_t i = 0; i < t.messages.size(); ++i) {
    auto& m = t.messages[i];
    // PostgreSQL text holds no NUL byte: such a message goes as JSON (escaped).
    bool has_nul = m.content.find('\0') != std::string::npos;
    bool as_json = !m.plain() || has_nul;
    pg_param body = as_json ? pg_param(domain::encode_message(m)) : pg_param(nullptr);
    pg_param item = i < t.item_ids.size() && !t.item_ids[i].empty() ? pg_param(t.item_ids[i])
                                                                    : pg_param(nullptr);
    db_.query(
        "INSERT INTO messages (session_seq, idx, role, content, created_at, body, item_id) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7);",
        {seq, next++, domain::to_string(m.role), has_nul ? std::string() : m.content,
         m.created_at_ms, body, item});
  }
  // A conversation made without an agent takes the one of its first turn.
  db_.query(
      "UPDATE sessions SET last_activity = $1, message_count = message_count + $2, conv_hash = $3, "
      "next_idx = $4, agent_id = CASE agent_id WHEN '' THEN $5 ELSE agent_id END WHERE seq = $6;",
      {t.info.last_activity_ms, t.messages.size(), static_cast<std::int64_t>(t.info.conv_hash),
       next, t.info.agent_id, seq});
  if (t.response) write_response(*t.response);
  return created;
}

std::vector<std::string> pg_session_store::append_turns(const std::vector<turn_write>& turns) {
  std::vector<std::string> out(turns.size());
  std::size_t created = 0;
  pg_transaction tx{db_};
  for (std::size_t i = 0; i < turns.size(); ++i) {
    // A savepoint per turn: one bad turn rolls back alone, never half-written.
    // (A lost connection fails the rollback too, and so the whole batch.)
    db_.exec("SAVEPOINT turn;");
    try {
      bool is_new = write_turn(turns[i]);
      db_.exec("RELEASE SAVEPOINT turn;");
      created += is_new;
    } catch (const storage_error& e) {
      out[i] = e.what();
      db_.exec("ROLLBACK TO SAVEPOINT turn; RELEASE SAVEPOINT turn;");
    }
  }
  tx.commit();  // throws on a failed commit: nothing of the batch is acknowledged
  ++commits_;
  count_ += created;
  return out;
}

std::optional<domain::session_info> pg_session_store::get(const std::string& id) const {
  auto r = db_.query("SELECT " SESSION_COLUMNS " FROM sessions WHERE id = $1;", {id});
  if (r.empty()) return std::nullopt;
  return read_session_row(r, 0);
}

domain::message_list pg_session_store::history(const std::string& id, std::size_t last_n) const {
  domain::message_list out;
  auto r = db_.query(
      "SELECT m.role, m.content, m.created_at, m.body FROM sessions s JOIN messages m "
      "ON m.session_seq = s.seq WHERE s.id = $1 ORDER BY m.idx DESC LIMIT $2;",
      {id, static_cast<std::int64_t>(std::min<std::size_t>(last_n, INT64_MAX))});
  for (int i = r.rows() - 1; i >= 0; --i) out.push_back(read_message_row(r, i, 0, 1, 2, 3));
  return out;
}

std::vector<domain::session_info> pg_session_store::list(const domain::session_query& q) const {
  // One statement per filter, so each can walk its own index.
  static constexpr const char* by_filter[] = {
      "SELECT " SESSION_COLUMNS
      " FROM sessions WHERE $1::text = $1::text AND $2::text = $2::text "
      "ORDER BY seq LIMIT $3 OFFSET $4;",
      "SELECT " SESSION_COLUMNS
      " FROM sessions WHERE agent_id = $1::text AND $2::text = $2::text "
      "ORDER BY seq LIMIT $3 OFFSET $4;",
      "SELECT " SESSION_COLUMNS
      " FROM sessions WHERE user_id = $2::text AND $1::text = $1::text "
      "ORDER BY seq LIMIT $3 OFFSET $4;",
      "SELECT " SESSION_COLUMNS
      " FROM sessions WHERE agent_id = $1::text AND user_id = $2::text "
      "ORDER BY seq LIMIT $3 OFFSET $4;",
  };
  int which = (q.agent_id.empty() ? 0 : 1) + (q.user_id.empty() ? 0 : 2);
  std::vector<domain::session_info> out;
  auto r = db_.query(by_filter[which], {q.agent_id, q.user_id, q.limit, q.offset});
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_session_row(r, i));
  return out;
}

std::optional<domain::session_info> pg_session_store::find_continuation(
    const std::string& agent_id, const std::string& user_id,
    const std::vector<continuation_candidate>& candidates) const {
  std::optional<domain::session_info> best;
  for (auto& c : candidates) {
    if (best && static_cast<std::size_t>(best->message_count) >= c.length) continue;
    auto r = db_.query("SELECT " SESSION_COLUMNS
                       " FROM sessions WHERE conv_hash = $1 AND "
                       "agent_id = $2 AND user_id = $3 AND message_count >= $4 "
                       "ORDER BY seq DESC LIMIT 1;",
                       {static_cast<std::int64_t>(c.hash), agent_id, user_id, c.length});
    if (!r.empty()) best = read_session_row(r, 0);
  }
  return best;
}

bool pg_session_store::remove(const std::string& id) {
  pg_transaction tx{db_};
  // The owner row first, as append_turns locks them: no deadlock.
  db_.query("DELETE FROM session_owners WHERE session_id = $1;", {id});
  auto found = db_.query("SELECT seq FROM sessions WHERE id = $1 FOR UPDATE;", {id});
  if (found.empty()) return false;
  auto seq = found.integer(0, 0);
  db_.query("DELETE FROM messages WHERE session_seq = $1;", {seq});
  db_.query("DELETE FROM responses WHERE session_id = $1;", {id});
  db_.query("DELETE FROM response_items WHERE session_id = $1;", {id});
  db_.query("DELETE FROM sessions WHERE seq = $1;", {seq});
  // The node that runs it stops its live actor (the feed tells every node).
  pg_detail::publish(db_, "session", id);
  tx.commit();
  count_ -= std::min<std::size_t>(count_, 1);
  return true;
}

std::vector<std::string> pg_session_store::remove_by_agent(const std::string& agent_id) {
  std::vector<std::string> ids;
  pg_transaction tx{db_};
  db_.query(
      "DELETE FROM session_owners WHERE session_id IN (SELECT id FROM sessions WHERE agent_id = "
      "$1);",
      {agent_id});
  auto r = db_.query("SELECT id FROM sessions WHERE agent_id = $1 FOR UPDATE;", {agent_id});
  for (int i = 0; i < r.rows(); ++i) ids.push_back(r.text(i, 0));
  if (ids.empty()) return ids;  // rolled back: nothing to commit
  db_.query(
      "DELETE FROM messages WHERE session_seq IN (SELECT seq FROM sessions WHERE agent_id = $1);",
      {agent_id});
  db_.query(
      "DELETE FROM responses WHERE session_id IN (SELECT id FROM sessions WHERE agent_id = $1);",
      {agent_id});
  db_.query(
      "DELETE FROM response_items WHERE session_id IN (SELECT id FROM sessions WHERE agent_id = "
      "$1);",
      {agent_id});
  db_.query("DELETE FROM sessions WHERE agent_id = $1;", {agent_id});
  tx.commit();
  count_ -= std::min(count_, ids.size());
  return ids;
}

}  // namespace troupe::storage
