#include "storage/postgres/pg_session_store.hpp"

#include "storage/postgres/pg_cluster_store.hpp"

#include <algorithm>
#include <cstdint>

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

namespace {

constexpr const char* owner_sql =
    "SELECT node_id, epoch FROM session_owners WHERE session_id = $1 FOR SHARE;";

// Why t may not be stored, from its session's owner row (owner_sql); "" when
// t's node holds the session at t's epoch.
std::string fence_failure(const turn_write& t, const pg_result& r) {
  if (r.empty())
    return std::string(fenced_prefix) + "session " + t.info.id +
           " has no owner now (it was removed)";
  auto node = r.text(0, 0);
  auto epoch = r.integer(0, 1);
  if (node != t.owner_node || static_cast<std::uint64_t>(epoch) != t.owner_epoch)
    return std::string(fenced_prefix) + "session " + t.info.id + " is owned by node " + node +
           " now (epoch " + std::to_string(epoch) + ")";
  return {};
}

// Fails (division by zero, SQLSTATE 22012) unless node $2 holds session $1
// at epoch $3, that owner row locked until the commit (a claim by another
// node waits for it, and a turn after that claim reads the new owner); then
// the rest of the transaction is skipped. Before the session row: the lock
// order of remove().
constexpr const char* owner_guard_sql =
    "SELECT 1 / count(*)::int FROM (SELECT 1 FROM session_owners WHERE session_id = $1 AND "
    "node_id = $2 AND epoch = $3 FOR SHARE) o;";
constexpr const char* not_owned_sqlstate = "22012";

// A whole turn in one statement: the session row made or updated (locked
// until the commit; a conversation made without an agent takes the one of
// its first turn) and its messages (arrays, in order, at the positions
// next_idx on). Answers whether it made the session.
constexpr const char* turn_sql =
    "WITH s AS (INSERT INTO sessions AS t (id, agent_id, user_id, created_at, last_activity, "
    "message_count, metadata, next_idx, conv_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $8) "
    "ON CONFLICT (id) DO UPDATE SET last_activity = EXCLUDED.last_activity, "
    "message_count = t.message_count + EXCLUDED.message_count, conv_hash = EXCLUDED.conv_hash, "
    "next_idx = t.next_idx + EXCLUDED.message_count, "
    "agent_id = CASE t.agent_id WHEN '' THEN EXCLUDED.agent_id ELSE t.agent_id END "
    "RETURNING seq, next_idx - $6 AS first, (xmax = 0) AS created), "
    "m AS (INSERT INTO messages (session_seq, idx, role, content, created_at, body, item_id) "
    "SELECT s.seq, s.first + m.o - 1, m.role, m.content, m.created_at, m.body, m.item_id "
    "FROM s, unnest($9::text[], $10::text[], $11::bigint[], $12::text[], $13::text[]) "
    "WITH ORDINALITY AS m(role, content, created_at, body, item_id, o)) "
    "SELECT created FROM s;";

// The turn's idempotency key, with its answer (after the session row exists).
constexpr const char* turn_key_sql =
    "INSERT INTO turn_keys (session_seq, key, request_hash, reply, created_at) "
    "SELECT seq, $2, $3, $4, $5 FROM sessions WHERE id = $1;";

constexpr const char* begin_sql = "BEGIN;";
constexpr const char* commit_sql = "COMMIT;";
constexpr const char* rollback_sql = "ROLLBACK;";

}  // namespace

void pg_session_store::check_owner(const turn_write& t) {
  // Locked until the commit: a claim by another node waits for it, and a
  // turn after that claim reads the new owner.
  auto why = fence_failure(t, db_.query(owner_sql, {t.info.id}));
  if (!why.empty()) throw storage_error(why);
}

std::optional<session_dump> pg_session_store::dump(const std::string& id) const {
  pg_transaction tx{db_, pg_transaction::kind::read};
  auto d = session_store::dump(id);
  tx.commit();
  return d;
}

std::vector<pg_session_store::statement> pg_session_store::plan_turn(const turn_write& t,
                                                                    bool fence) const {
  std::vector<statement> out;
  auto& info = t.info;
  if (fence)
    out.push_back({statement::kind::guard,
                   owner_guard_sql,
                   {info.id, t.owner_node, static_cast<std::int64_t>(t.owner_epoch)}});
  std::vector<std::optional<std::string>> roles, contents, created, bodies, items;
  for (std::size_t i = 0; i < t.messages.size(); ++i) {
    auto& m = t.messages[i];
    // PostgreSQL text holds no NUL byte: such a message goes as JSON (escaped).
    bool has_nul = m.content.find('\0') != std::string::npos;
    bool as_json = !m.plain() || has_nul;
    roles.emplace_back(domain::to_string(m.role));
    contents.emplace_back(has_nul ? std::string() : m.content);
    created.emplace_back(std::to_string(m.created_at_ms));
    bodies.push_back(as_json ? std::optional<std::string>(domain::encode_message(m))
                             : std::nullopt);
    items.push_back(i < t.item_ids.size() && !t.item_ids[i].empty()
                        ? std::optional<std::string>(t.item_ids[i])
                        : std::nullopt);
  }
  out.push_back({statement::kind::turn,
                 turn_sql,
                 {info.id, info.agent_id, info.user_id, info.created_at_ms, info.last_activity_ms,
                  t.messages.size(), info.metadata_json, static_cast<std::int64_t>(info.conv_hash),
                  pg_array(roles), pg_array(contents), pg_array(created), pg_array(bodies),
                  pg_array(items)}});
  if (t.response) out.push_back(response_statement(*t.response));
  if (t.key)
    out.push_back({statement::kind::key,
                   turn_key_sql,
                   {info.id, t.key->key, t.key->request_hash, t.key->reply, info.last_activity_ms}});
  return out;
}

bool pg_session_store::write_turn(const turn_write& t) {
  if (t.owner_epoch != 0) check_owner(t);  // before the session row: one lock order
  bool created = false;
  for (auto& s : plan_turn(t, false)) {
    auto r = db_.query(s.sql, s.params);
    if (s.what == statement::kind::turn) created = r.text(0, 0) == "t";
  }
  return created;
}

std::vector<std::string> pg_session_store::append_turns(const std::vector<turn_write>& turns) {
  std::vector<std::string> out(turns.size());
  // Every turn's statements first: a value PostgreSQL cannot store fails its
  // turn before anything of it is sent.
  std::vector<std::optional<std::vector<statement>>> plans(turns.size());
  for (std::size_t i = 0; i < turns.size(); ++i) {
    try {
      plans[i] = plan_turn(turns[i], turns[i].owner_epoch != 0);
    } catch (const storage_error& e) {
      out[i] = e.what();
    }
  }
  std::size_t created = 0;
  {
    pg_pipeline p{db_,
                  {begin_sql, commit_sql, rollback_sql, owner_sql, owner_guard_sql, turn_sql,
                   turn_key_sql, response_statement({}).sql /* its SQL, whatever the response */}};
    // One transaction, every turn's statements in one segment, then COMMIT
    // alone. No savepoint per turn (one cost PostgreSQL about as much as the
    // turn's own statements): a turn that fails makes the server skip the
    // rest and abort the transaction, so the next segment rolls it back and
    // sends the batch again without that turn (a fenced turn's session owner
    // is read meanwhile, for its error). Failures are rare: a retry costs a
    // round trip, as the savepoint's did.
    std::vector<bool> dropped(turns.size());
    for (std::size_t i = 0; i < turns.size(); ++i) dropped[i] = !plans[i];
    constexpr std::size_t none = SIZE_MAX;
    std::size_t fenced = none;  // the last turn fenced: who holds its session?
    p.begin();
    for (bool again = false;; again = true) {
      if (again) {
        p.send(rollback_sql);
        if (fenced != none) p.send(owner_sql, {turns[fenced].info.id});
        p.send(begin_sql);
      }
      for (std::size_t i = 0; i < turns.size(); ++i)
        if (!dropped[i])
          for (auto& s : *plans[i]) p.send(s.sql, s.params);
      p.sync();
      if (again) {
        pg_pipeline::expect(p.next(), "ROLLBACK");
        if (fenced != none) {
          auto a = p.next();
          pg_pipeline::expect(a, "the owner row");
          if (auto why = fence_failure(turns[fenced], *a.result); !why.empty()) out[fenced] = why;
          fenced = none;
        }
      }
      pg_pipeline::expect(p.next(), "BEGIN");
      std::size_t failed = none;
      std::size_t made = 0;
      for (std::size_t i = 0; i < turns.size() && failed == none; ++i) {
        if (dropped[i]) continue;
        for (auto& s : *plans[i]) {
          auto a = p.next();
          if (a.status == pg_pipeline::answer::skipped)
            throw storage_error("postgres: pipeline out of step (a turn's statement skipped)");
          if (a.status == pg_pipeline::answer::failed) {
            bool is_fence = s.what == statement::kind::guard && a.sqlstate == not_owned_sqlstate;
            out[i] = is_fence ? std::string(fenced_prefix) + "session " + turns[i].info.id +
                                    " is not held by this node at this epoch now"
                              : a.error;
            if (is_fence) fenced = i;
            failed = i;
            break;
          }
          if (s.what == statement::kind::turn) made += a.result->text(0, 0) == "t";
        }
      }
      p.finish_segment();  // after a failure, the rest was skipped
      if (failed != none) {
        dropped[failed] = true;
        continue;
      }
      // COMMIT only once every answer is in, in a round trip of its own: a
      // node that dies in the middle of a batch leaves nothing of it (the
      // server rolls back), as when each statement waited for its answer.
      p.send(commit_sql);
      p.sync();
      // throws on a failed commit: nothing of the batch is acknowledged
      pg_pipeline::expect(p.next(), "COMMIT");
      p.finish_segment();
      created = made;
      break;
    }
  }
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

std::optional<domain::turn_key> pg_session_store::find_turn_key(const std::string& session_id,
                                                               const std::string& key) const {
  auto r = db_.query(
      "SELECT k.request_hash, k.reply FROM sessions s JOIN turn_keys k ON k.session_seq = s.seq "
      "WHERE s.id = $1 AND k.key = $2;",
      {session_id, key});
  if (r.empty()) return std::nullopt;
  return domain::turn_key{key, r.text(0, 0), r.text(0, 1)};
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
  db_.query("DELETE FROM turn_keys WHERE session_seq = $1;", {seq});
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
      "DELETE FROM turn_keys WHERE session_seq IN (SELECT seq FROM sessions WHERE agent_id = $1);",
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
