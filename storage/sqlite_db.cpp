#include "storage/sqlite_db.hpp"

#include <filesystem>
#include <vector>

#include "domain/chat/conversation_hash.hpp"

namespace troupe::storage {

namespace {

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw storage_error(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) fail(db, what);
}

// Forward-only schema steps; index i takes the database to version i + 1.
// Never edit a step that has shipped: add a new one.
const char* const migrations[] = {
    // 1: agents, sessions, messages
    "CREATE TABLE agents ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL UNIQUE,"
    "  template_id TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  body TEXT NOT NULL);"
    "CREATE TABLE sessions ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  agent_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  last_activity INTEGER NOT NULL,"
    "  message_count INTEGER NOT NULL);"
    "CREATE INDEX sessions_by_agent ON sessions(agent_id, seq);"
    "CREATE INDEX sessions_by_user ON sessions(user_id, seq);"
    // Keyed by (session, position): the newest N of a session is a short
    // backwards range scan of the primary key, whatever the history's length.
    "CREATE TABLE messages ("
    "  session_seq INTEGER NOT NULL,"
    "  idx INTEGER NOT NULL,"
    "  role TEXT NOT NULL,"
    "  content TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (session_seq, idx)) WITHOUT ROWID;",
    // 2: messages keep tool calls, content parts and names (`body`: the whole
    // message as JSON when it is more than a role and a text); a session's
    // conversation hash finds it when a client resends it without its id.
    "ALTER TABLE messages ADD COLUMN body TEXT;"
    "ALTER TABLE sessions ADD COLUMN conv_hash INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX sessions_by_conversation ON sessions(conv_hash);",
    // 3: the Responses and Conversations APIs: item ids, conversation
    // metadata, the next message position (items can be deleted), responses.
    "ALTER TABLE messages ADD COLUMN item_id TEXT;"
    "ALTER TABLE sessions ADD COLUMN metadata TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE sessions ADD COLUMN next_idx INTEGER NOT NULL DEFAULT 0;"
    "UPDATE sessions SET next_idx = message_count;"
    "CREATE TABLE responses ("
    "  id TEXT PRIMARY KEY,"
    "  session_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  end_count INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  body TEXT NOT NULL,"
    "  input_items TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX responses_by_session ON responses(session_id);"
    // Output items of stored responses → their session (item_reference lookups).
    "CREATE TABLE response_items ("
    "  item_id TEXT PRIMARY KEY,"
    "  session_id TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX response_items_by_session ON response_items(session_id);",
    // 4: user API keys (the SHA-256 of the secret, never the secret; `body`
    // holds the key's JSON with its limits) and usage summed per UTC day.
    "CREATE TABLE api_keys ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
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
    "  requests INTEGER NOT NULL,"
    "  prompt_tokens INTEGER NOT NULL,"
    "  completion_tokens INTEGER NOT NULL,"
    "  PRIMARY KEY (day, user_id, key_id, agent_id)) WITHOUT ROWID;"
    "CREATE INDEX usage_by_user ON usage_daily(user_id, day);"
    "CREATE INDEX usage_by_key ON usage_daily(key_id, day);",
    // 5: idempotency keys of turns (their answer, as a chat completion, for
    // a retry with the same key).
    "CREATE TABLE turn_keys ("
    "  session_seq INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"
    "  request_hash TEXT NOT NULL,"
    "  reply TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (session_seq, key)) WITHOUT ROWID;",
};
constexpr int known_version = static_cast<int>(sizeof(migrations) / sizeof(migrations[0]));

}  // namespace

sqlite_statement& sqlite_statement::bind(int i, std::string_view text) {
  check(db_, sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT),
        "bind");
  return *this;
}

sqlite_statement& sqlite_statement::bind(int i, std::int64_t n) {
  check(db_, sqlite3_bind_int64(stmt_, i, n), "bind");
  return *this;
}

bool sqlite_statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string msg = sqlite3_errmsg(db_);
  sqlite3_reset(stmt_);
  throw storage_error("sqlite: " + msg);
}

void sqlite_statement::run() {
  while (step()) {
  }
}

std::string sqlite_statement::text(int col) const {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

std::int64_t sqlite_statement::integer(int col) const { return sqlite3_column_int64(stmt_, col); }

bool sqlite_statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

void sqlite_statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

sqlite_db::sqlite_db(const std::string& path, bool create) : path_(path) {
  auto dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (create && !dir.empty()) std::filesystem::create_directories(dir, ec);
  if (!create && !std::filesystem::is_regular_file(path, ec))
    throw storage_error("no database at '" + path + "'");
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw storage_error("cannot open database '" + path + "': " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    // The first statement touches the file: a non-database fails here.
    exec("PRAGMA journal_mode=WAL;");
    exec("PRAGMA synchronous=FULL;");
  } catch (const storage_error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw storage_error("database '" + path + "' is unusable: " + e.what());
  }
}

sqlite_db::~sqlite_db() {
  cache_.clear();  // statements before the connection
  sqlite3_close(db_);
}

void sqlite_db::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw storage_error("sqlite: " + msg);
  }
}

sqlite_query sqlite_db::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    check(db_, sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr), "prepare");
    it = cache_.emplace(sql, std::make_unique<sqlite_statement>(db_, stmt)).first;
  }
  it->second->reset();
  return sqlite_query{*it->second};
}

std::int64_t sqlite_db::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

std::int64_t sqlite_db::changes() const { return sqlite3_changes(db_); }

bool sqlite_db::has_schema_table() {
  return prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version';")
      .step();
}

int sqlite_db::schema_version() {
  if (!has_schema_table()) return 0;
  auto q = prepare("SELECT MAX(version) FROM schema_version;");
  return q.step() && !q.is_null(0) ? static_cast<int>(q.integer(0)) : 0;
}

// The version of the schema, refused when a newer build wrote it.
int sqlite_db::known_schema_version() {
  int version = schema_version();
  if (version > known_version)
    throw storage_error("database '" + path_ + "' has schema version " + std::to_string(version) +
                        ", newer than this troupe knows (" + std::to_string(known_version) + ")");
  return version;
}

void sqlite_db::check_schema() {
  if (!has_schema_table()) throw storage_error("'" + path_ + "' is not a troupe database");
  int version = known_schema_version();
  if (version < known_version)
    throw storage_error("database '" + path_ + "' has schema version " + std::to_string(version) +
                        ": start the server on it once to migrate it");
}

void sqlite_db::migrate() {
  sqlite_transaction tx{*this};
  exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);");
  int version = known_schema_version();
  for (int v = version; v < known_version; ++v) {
    exec(migrations[v]);
    if (v + 1 == 2) hash_conversations();
    prepare("INSERT INTO schema_version (version) VALUES (?);").bind(1, std::int64_t{v + 1}).run();
  }
  tx.commit();
}

// Sessions stored before version 2 get the hash of the messages they hold.
void sqlite_db::hash_conversations() {
  std::vector<std::pair<std::int64_t, std::uint64_t>> hashes;
  auto q = prepare(
      "SELECT m.session_seq, m.role, m.content FROM messages m ORDER BY m.session_seq, m.idx;");
  while (q.step()) {
    auto seq = q.integer(0);
    if (hashes.empty() || hashes.back().first != seq)
      hashes.emplace_back(seq, domain::empty_conversation_hash);
    domain::chat_message m{domain::parse_role(q.text(1)).value_or(domain::role::user), q.text(2)};
    hashes.back().second = domain::chain_hash(hashes.back().second, m);
  }
  for (auto& [seq, hash] : hashes)
    prepare("UPDATE sessions SET conv_hash = ? WHERE seq = ?;")
        .bind(1, static_cast<std::int64_t>(hash))
        .bind(2, seq)
        .run();
  prepare("UPDATE sessions SET conv_hash = ? WHERE message_count = 0;")
      .bind(1, static_cast<std::int64_t>(domain::empty_conversation_hash))
      .run();
}

std::size_t sqlite_db::drop_orphan_sessions() {
  // A conversation not yet bound to an agent (agent_id '') is no orphan.
  sqlite_transaction tx{*this};
  prepare(
      "DELETE FROM messages WHERE session_seq IN (SELECT seq FROM sessions WHERE agent_id <> '' "
      "AND agent_id NOT IN (SELECT id FROM agents));")
      .run();
  prepare(
      "DELETE FROM turn_keys WHERE session_seq IN (SELECT seq FROM sessions WHERE agent_id <> '' "
      "AND agent_id NOT IN (SELECT id FROM agents));")
      .run();
  prepare(
      "DELETE FROM responses WHERE session_id IN (SELECT id FROM sessions WHERE agent_id <> '' "
      "AND agent_id NOT IN (SELECT id FROM agents));")
      .run();
  prepare(
      "DELETE FROM response_items WHERE session_id IN (SELECT id FROM sessions WHERE agent_id <> '' "
      "AND agent_id NOT IN (SELECT id FROM agents));")
      .run();
  prepare("DELETE FROM sessions WHERE agent_id <> '' AND agent_id NOT IN (SELECT id FROM agents);")
      .run();
  auto dropped = static_cast<std::size_t>(sqlite3_changes(db_));
  tx.commit();
  return dropped;
}

sqlite_transaction::sqlite_transaction(sqlite_db& db, kind k) : db_(db) {
  db_.exec(k == kind::write ? "BEGIN IMMEDIATE;" : "BEGIN DEFERRED;");
}

sqlite_transaction::~sqlite_transaction() {
  if (done_) return;
  try {
    db_.exec("ROLLBACK;");
  } catch (const storage_error&) {
    // Nothing more to do: the transaction is gone either way.
  }
}

void sqlite_transaction::commit() {
  db_.exec("COMMIT;");
  done_ = true;
}

std::optional<std::string> sqlite_path_of(const std::string& spec) {
  constexpr std::string_view prefix = "sqlite:";
  if (spec.rfind(prefix, 0) != 0 || spec.size() == prefix.size()) return std::nullopt;
  return spec.substr(prefix.size());
}

}  // namespace troupe::storage
