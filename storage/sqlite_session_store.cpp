#include "storage/sqlite_session_store.hpp"

#include <algorithm>

#include "domain/openai/message_codec.hpp"

namespace troupe::storage {

namespace detail {

domain::session_info read_session_row(const sqlite_query& q) {
  // Column order of TROUPE_SESSION_COLUMNS.
  domain::session_info info{q.text(0),    q.text(1),    q.text(2),
                            q.integer(3), q.integer(4), q.integer(5),
                            static_cast<std::uint64_t>(q.integer(6)), q.text(7),
                            q.integer(8)};
  return info;
}

domain::chat_message read_message_row(const sqlite_query& q, int role_col, int content_col,
                                      int created_col, int body_col) {
  if (!q.is_null(body_col)) {
    auto m = domain::decode_message(q.text(body_col));
    m.created_at_ms = q.integer(created_col);
    return m;
  }
  auto role = domain::parse_role(q.text(role_col));
  return {role.value_or(domain::role::user), q.text(content_col), q.integer(created_col)};
}

}  // namespace detail

using detail::read_message_row;
using detail::read_session_row;
#define SESSION_COLUMNS TROUPE_SESSION_COLUMNS

sqlite_session_store::sqlite_session_store(const std::string& path, bool create)
    : db_(path, create) {
  auto q = db_.prepare("SELECT COUNT(*) FROM sessions;");
  if (q.step()) count_ = static_cast<std::size_t>(q.integer(0));
}

std::optional<session_dump> sqlite_session_store::dump(const std::string& id) const {
  sqlite_transaction tx{db_, sqlite_transaction::kind::read};
  auto d = session_store::dump(id);
  tx.commit();
  return d;
}

std::tuple<std::int64_t, std::int64_t, bool> sqlite_session_store::session_row(
    const domain::session_info& info) {
  auto find = db_.prepare("SELECT seq, next_idx FROM sessions WHERE id = ?;");
  if (find.bind(1, info.id).step()) return {find.integer(0), find.integer(1), false};
  find.reset();
  db_.prepare(
         "INSERT INTO sessions (id, agent_id, user_id, created_at, last_activity, message_count, "
         "metadata, next_idx) VALUES (?, ?, ?, ?, ?, 0, ?, 0);")
      .bind(1, info.id)
      .bind(2, info.agent_id)
      .bind(3, info.user_id)
      .bind(4, info.created_at_ms)
      .bind(5, info.last_activity_ms)
      .bind(6, info.metadata_json)
      .run();
  return {db_.last_insert_id(), 0, true};
}

bool sqlite_session_store::write_turn(const turn_write& t) {
  auto [seq, next, created] = session_row(t.info);
  auto insert = db_.prepare(
      "INSERT INTO messages (session_seq, idx, role, content, created_at, body, item_id) "
      "VALUES (?, ?, ?, ?, ?, ?, ?);");
  for (std::size_t i = 0; i < t.messages.size(); ++i) {
    auto& m = t.messages[i];
    insert.reset();
    insert.bind(1, seq)
        .bind(2, next++)
        .bind(3, domain::to_string(m.role))
        .bind(4, m.content)
        .bind(5, m.created_at_ms);
    if (!m.plain()) insert.bind(6, domain::encode_message(m));
    if (i < t.item_ids.size() && !t.item_ids[i].empty()) insert.bind(7, t.item_ids[i]);
    insert.run();
  }
  // A conversation made without an agent takes the one of its first turn.
  db_.prepare(
         "UPDATE sessions SET last_activity = ?, message_count = message_count + ?, conv_hash = ?, "
         "next_idx = ?, agent_id = CASE agent_id WHEN '' THEN ? ELSE agent_id END WHERE seq = ?;")
      .bind(1, t.info.last_activity_ms)
      .bind(2, static_cast<std::int64_t>(t.messages.size()))
      .bind(3, static_cast<std::int64_t>(t.info.conv_hash))
      .bind(4, next)
      .bind(5, t.info.agent_id)
      .bind(6, seq)
      .run();
  if (t.response) write_response(*t.response);
  if (t.key)
    db_.prepare("INSERT INTO turn_keys (session_seq, key, request_hash, reply, created_at) "
                "VALUES (?, ?, ?, ?, ?);")
        .bind(1, seq)
        .bind(2, t.key->key)
        .bind(3, t.key->request_hash)
        .bind(4, t.key->reply)
        .bind(5, t.info.last_activity_ms)
        .run();
  return created;
}

std::vector<std::string> sqlite_session_store::append_turns(const std::vector<turn_write>& turns) {
  std::vector<std::string> out(turns.size());
  std::size_t created = 0;
  sqlite_transaction tx{db_};
  for (std::size_t i = 0; i < turns.size(); ++i) {
    // A savepoint per turn: one bad turn rolls back alone, never half-written.
    db_.exec("SAVEPOINT turn;");
    try {
      bool is_new = write_turn(turns[i]);
      db_.exec("RELEASE turn;");
      created += is_new;
    } catch (const storage_error& e) {
      out[i] = e.what();
      db_.exec("ROLLBACK TO turn; RELEASE turn;");
    }
  }
  tx.commit();  // throws on a failed commit: nothing of the batch is acknowledged
  ++commits_;
  count_ += created;
  return out;
}

std::optional<domain::session_info> sqlite_session_store::get(const std::string& id) const {
  auto q = db_.prepare("SELECT " SESSION_COLUMNS " FROM sessions WHERE id = ?;");
  if (!q.bind(1, id).step()) return std::nullopt;
  auto info = read_session_row(q);
  q.reset();
  return info;
}

domain::message_list sqlite_session_store::history(const std::string& id, std::size_t last_n) const {
  domain::message_list out;
  auto q = db_.prepare(history_sql);
  q.bind(1, id).bind(2, static_cast<std::int64_t>(std::min<std::size_t>(last_n, INT64_MAX)));
  while (q.step()) out.push_back(read_message_row(q, 0, 1, 2, 3));
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<domain::session_info> sqlite_session_store::list(const domain::session_query& q) const {
  // One statement per filter, so each can walk its own index instead of
  // filtering every session.
  static constexpr const char* by_filter[] = {
      "SELECT " SESSION_COLUMNS " FROM sessions ORDER BY seq LIMIT ?3 OFFSET ?4;",
      "SELECT " SESSION_COLUMNS " FROM sessions WHERE agent_id = ?1 ORDER BY seq "
      "LIMIT ?3 OFFSET ?4;",
      "SELECT " SESSION_COLUMNS " FROM sessions WHERE user_id = ?2 ORDER BY seq "
      "LIMIT ?3 OFFSET ?4;",
      "SELECT " SESSION_COLUMNS " FROM sessions WHERE agent_id = ?1 AND user_id = ?2 "
      "ORDER BY seq LIMIT ?3 OFFSET ?4;",
  };
  int which = (q.agent_id.empty() ? 0 : 1) + (q.user_id.empty() ? 0 : 2);
  std::vector<domain::session_info> out;
  auto s = db_.prepare(by_filter[which]);
  if (!q.agent_id.empty()) s.bind(1, q.agent_id);
  if (!q.user_id.empty()) s.bind(2, q.user_id);
  s.bind(3, q.limit).bind(4, q.offset);
  while (s.step()) out.push_back(read_session_row(s));
  return out;
}

std::optional<domain::session_info> sqlite_session_store::find_continuation(
    const std::string& agent_id, const std::string& user_id,
    const std::vector<continuation_candidate>& candidates) const {
  std::optional<domain::session_info> best;
  auto q = db_.prepare("SELECT " SESSION_COLUMNS " FROM sessions WHERE conv_hash = ? AND "
                       "agent_id = ? AND user_id = ? AND message_count >= ? "
                       "ORDER BY seq DESC LIMIT 1;");
  for (auto& c : candidates) {
    if (best && static_cast<std::size_t>(best->message_count) >= c.length) continue;
    q.reset();
    q.bind(1, static_cast<std::int64_t>(c.hash))
        .bind(2, agent_id)
        .bind(3, user_id)
        .bind(4, static_cast<std::int64_t>(c.length));
    if (q.step()) best = read_session_row(q);
  }
  q.reset();
  return best;
}

bool sqlite_session_store::remove(const std::string& id) {
  sqlite_transaction tx{db_};
  auto find = db_.prepare("SELECT seq FROM sessions WHERE id = ?;");
  if (!find.bind(1, id).step()) return false;
  auto seq = find.integer(0);
  find.reset();
  db_.prepare("DELETE FROM messages WHERE session_seq = ?;").bind(1, seq).run();
  db_.prepare("DELETE FROM turn_keys WHERE session_seq = ?;").bind(1, seq).run();
  db_.prepare("DELETE FROM responses WHERE session_id = ?;").bind(1, id).run();
  db_.prepare("DELETE FROM response_items WHERE session_id = ?;").bind(1, id).run();
  db_.prepare("DELETE FROM sessions WHERE seq = ?;").bind(1, seq).run();
  tx.commit();
  --count_;
  return true;
}

std::optional<domain::turn_key> sqlite_session_store::find_turn_key(const std::string& session_id,
                                                                   const std::string& key) const {
  auto q = db_.prepare(
      "SELECT k.request_hash, k.reply FROM sessions s JOIN turn_keys k ON k.session_seq = s.seq "
      "WHERE s.id = ? AND k.key = ?;");
  if (!q.bind(1, session_id).bind(2, key).step()) return std::nullopt;
  domain::turn_key out{key, q.text(0), q.text(1)};
  q.reset();
  return out;
}

std::vector<std::string> sqlite_session_store::remove_by_agent(const std::string& agent_id) {
  std::vector<std::string> ids;
  {
    auto q = db_.prepare("SELECT id FROM sessions WHERE agent_id = ?;");
    q.bind(1, agent_id);
    while (q.step()) ids.push_back(q.text(0));
  }
  if (ids.empty()) return ids;  // no commit (and no fsync) for nothing
  sqlite_transaction tx{db_};
  db_.prepare(
         "DELETE FROM messages WHERE session_seq IN (SELECT seq FROM sessions WHERE agent_id = ?);")
      .bind(1, agent_id)
      .run();
  for (auto table : {"DELETE FROM turn_keys WHERE session_seq IN (SELECT seq FROM sessions WHERE "
                     "agent_id = ?);",
                     "DELETE FROM responses WHERE session_id IN (SELECT id FROM sessions WHERE "
                     "agent_id = ?);",
                     "DELETE FROM response_items WHERE session_id IN (SELECT id FROM sessions "
                     "WHERE agent_id = ?);"})
    db_.prepare(table).bind(1, agent_id).run();
  db_.prepare("DELETE FROM sessions WHERE agent_id = ?;").bind(1, agent_id).run();
  tx.commit();
  count_ -= std::min(count_, ids.size());
  return ids;
}

}  // namespace troupe::storage
