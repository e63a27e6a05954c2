// The PostgreSQL schema: versioned like SQLite's (schema_version, forward-only
// steps), with its own numbering. Version 1 is what SQLite reached in 4 steps;
// version 2 adds the cluster's tables (PostgreSQL only), 3 SQLite's 5.
#include "storage/postgres/pg_db.hpp"

namespace troupe::storage {

namespace {

// Index i takes the database to version i + 1. Never edit a step that has
// shipped: add a new one.
const char* const migrations[] = {
    // 1: agents, sessions and messages, responses, user keys, daily usage.
    "CREATE TABLE agents ("
    "  seq BIGSERIAL PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL UNIQUE,"
    "  template_id TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  body TEXT NOT NULL);"
    "CREATE TABLE sessions ("
    "  seq BIGSERIAL PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  agent_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  last_activity BIGINT NOT NULL,"
    "  message_count BIGINT NOT NULL,"
    "  conv_hash BIGINT NOT NULL DEFAULT 0,"
    "  metadata TEXT NOT NULL DEFAULT '',"
    "  next_idx BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX sessions_by_agent ON sessions(agent_id, seq);"
    "CREATE INDEX sessions_by_user ON sessions(user_id, seq);"
    "CREATE INDEX sessions_by_conversation ON sessions(conv_hash);"
    // Keyed by (session, position): the newest N is a backwards index scan.
    "CREATE TABLE messages ("
    "  session_seq BIGINT NOT NULL,"
    "  idx BIGINT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  content TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  body TEXT,"
    "  item_id TEXT,"
    "  PRIMARY KEY (session_seq, idx));"
    "CREATE TABLE responses ("
    "  id TEXT PRIMARY KEY,"
    "  session_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  end_count BIGINT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  input_items TEXT NOT NULL);"
    "CREATE INDEX responses_by_session ON responses(session_id);"
    "CREATE TABLE response_items ("
    "  item_id TEXT PRIMARY KEY,"
    "  session_id TEXT NOT NULL);"
    "CREATE INDEX response_items_by_session ON response_items(session_id);"
    "CREATE TABLE api_keys ("
    "  seq BIGSERIAL PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  hash TEXT NOT NULL UNIQUE,"
    "  user_id TEXT NOT NULL,"
    "  body TEXT NOT NULL);"
    "CREATE INDEX api_keys_by_user ON api_keys(user_id, seq);"
    "CREATE TABLE usage_daily ("
    "  day TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  key_id TEXT NOT NULL,"
    "  agent_id TEXT NOT NULL,"
    "  requests BIGINT NOT NULL,"
    "  prompt_tokens BIGINT NOT NULL,"
    "  completion_tokens BIGINT NOT NULL,"
    "  PRIMARY KEY (day, user_id, key_id, agent_id));"
    "CREATE INDEX usage_by_user ON usage_daily(user_id, day);"
    "CREATE INDEX usage_by_key ON usage_daily(key_id, day);",
    // 2: the cluster: who owns a session (fencing), the members' heartbeats
    // (database clock, ms), the feed of agent and key writes.
    "CREATE TABLE session_owners ("
    "  session_id TEXT PRIMARY KEY,"
    "  node_id TEXT NOT NULL,"
    "  epoch BIGINT NOT NULL);"
    "CREATE TABLE cluster_members ("
    "  cluster_name TEXT NOT NULL,"
    "  node_id TEXT NOT NULL,"
    "  cluster_address TEXT NOT NULL,"
    "  http_address TEXT NOT NULL,"
    "  version TEXT NOT NULL,"
    "  started_at BIGINT NOT NULL,"
    "  heartbeat_at BIGINT NOT NULL,"
    "  live_sessions BIGINT NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (cluster_name, node_id));"
    "CREATE TABLE cluster_events ("
    "  seq BIGSERIAL PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  id TEXT NOT NULL);",
    // 3: idempotency keys of turns (their answer, as a chat completion, for
    // a retry with the same key).
    "CREATE TABLE turn_keys ("
    "  session_seq BIGINT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  request_hash TEXT NOT NULL,"
    "  reply TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  PRIMARY KEY (session_seq, key));",
};
constexpr int known_version = static_cast<int>(sizeof(migrations) / sizeof(migrations[0]));

// Taken by every migrating process: two nodes starting at once migrate once.
constexpr const char* migration_lock = "SELECT pg_advisory_xact_lock(7285917362);";

}  // namespace

int pg_db::schema_version() {
  auto t = query("SELECT to_regclass('schema_version') IS NOT NULL;");
  if (t.text(0, 0) != "t") return 0;
  auto r = query("SELECT COALESCE(MAX(version), 0) FROM schema_version;");
  return static_cast<int>(r.integer(0, 0));
}

void pg_db::check_schema() {
  int version = schema_version();
  if (version == 0) throw storage_error("the PostgreSQL database holds no troupe schema");
  if (version > known_version)
    throw storage_error("the PostgreSQL database has schema version " + std::to_string(version) +
                        ", newer than this troupe knows (" + std::to_string(known_version) + ")");
  if (version < known_version)
    throw storage_error("the PostgreSQL database has schema version " + std::to_string(version) +
                        ": start the server on it once to migrate it");
}

void pg_db::migrate() {
  pg_transaction tx{*this};
  exec(migration_lock);
  exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);");
  int version = schema_version();
  if (version > known_version)
    throw storage_error("the PostgreSQL database has schema version " + std::to_string(version) +
                        ", newer than this troupe knows (" + std::to_string(known_version) + ")");
  for (int v = version; v < known_version; ++v) {
    exec(migrations[v]);
    query("INSERT INTO schema_version (version) VALUES ($1);", {v + 1});
  }
  tx.commit();
}

std::size_t pg_db::drop_orphan_sessions() {
  // A conversation not yet bound to an agent (agent_id '') is no orphan.
  pg_transaction tx{*this};
  exec(
      "CREATE TEMP TABLE orphans ON COMMIT DROP AS SELECT seq, id FROM sessions "
      "WHERE agent_id <> '' AND agent_id NOT IN (SELECT id FROM agents);"
      "DELETE FROM messages WHERE session_seq IN (SELECT seq FROM orphans);"
      "DELETE FROM turn_keys WHERE session_seq IN (SELECT seq FROM orphans);"
      "DELETE FROM responses WHERE session_id IN (SELECT id FROM orphans);"
      "DELETE FROM response_items WHERE session_id IN (SELECT id FROM orphans);"
      "DELETE FROM session_owners WHERE session_id IN (SELECT id FROM orphans);");
  auto r = query("DELETE FROM sessions WHERE seq IN (SELECT seq FROM orphans);");
  auto dropped = static_cast<std::size_t>(r.changed());
  tx.commit();
  return dropped;
}

}  // namespace troupe::storage
