#pragma once
// A thin RAII layer over sqlite3: one connection, prepared statements kept
// for reuse, errors as storage_error. Each store owns its own connection and
// is used by one actor at a time.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "storage/agent_store.hpp"

namespace troupe::storage {

class sqlite_statement {
 public:
  sqlite_statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~sqlite_statement() { sqlite3_finalize(stmt_); }
  sqlite_statement(const sqlite_statement&) = delete;
  sqlite_statement& operator=(const sqlite_statement&) = delete;
  // Binds by 1-based position.
  sqlite_statement& bind(int i, std::string_view text);
  sqlite_statement& bind(int i, std::int64_t n);
  // Steps once: true while a row is available.
  bool step();
  // Runs to completion (for writes).
  void run();
  std::string text(int col) const;
  std::int64_t integer(int col) const;
  bool is_null(int col) const;
  void reset();

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// A use of a cached statement; resets it when it goes out of scope, so no
// statement keeps a read transaction (and its old snapshot) open by accident.
class sqlite_query {
 public:
  explicit sqlite_query(sqlite_statement& s) : s_(&s) {}
  sqlite_query(sqlite_query&& other) noexcept : s_(std::exchange(other.s_, nullptr)) {}
  sqlite_query& operator=(sqlite_query&&) = delete;
  ~sqlite_query() {
    if (s_) s_->reset();
  }
  template <class T>
  sqlite_query& bind(int i, T&& x) {
    s_->bind(i, std::forward<T>(x));
    return *this;
  }
  bool step() { return s_->step(); }
  void run() { s_->run(); }
  // Ends this use early (and clears the bindings for a rerun).
  void reset() { s_->reset(); }
  std::string text(int col) const { return s_->text(col); }
  std::int64_t integer(int col) const { return s_->integer(col); }
  bool is_null(int col) const { return s_->is_null(col); }

 private:
  sqlite_statement* s_;
};

class sqlite_db {
 public:
  // Opens (creating the file and its directory if needed) in WAL mode with
  // synchronous=FULL: a committed transaction survives kill -9 and power loss.
  // With create=false the file must exist already (nothing is created).
  explicit sqlite_db(const std::string& path, bool create = true);
  ~sqlite_db();
  sqlite_db(const sqlite_db&) = delete;
  sqlite_db& operator=(const sqlite_db&) = delete;

  void exec(const char* sql);
  // A cached prepared statement, ready to bind; reset again when the query ends.
  sqlite_query prepare(const char* sql);
  std::int64_t last_insert_id() const;
  sqlite3* handle() const { return db_; }
  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const;
  const std::string& path() const { return path_; }

  // Throws unless the file holds a troupe schema this build can read
  // (for tools that must not change the file).
  void check_schema();
  // Applies the schema migrations this build knows; throws storage_error on a
  // database from a newer build or a file that is not a database.
  void migrate();
  // 0 for a file without a troupe schema; reads only.
  int schema_version();
  // Deletes sessions (with their messages) whose agent is gone: what a crash
  // between an agent's delete and its sessions' delete leaves behind.
  // Returns how many went.
  std::size_t drop_orphan_sessions();

 private:
  bool has_schema_table();
  int known_schema_version();
  void hash_conversations();

  std::string path_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<sqlite_statement>> cache_;
};

// Rolls back unless committed (also when an exception leaves the scope).
// A write transaction takes the write lock at once; a read one gives its
// reads one consistent snapshot.
class sqlite_transaction {
 public:
  enum class kind { write, read };
  explicit sqlite_transaction(sqlite_db& db, kind k = kind::write);
  ~sqlite_transaction();
  void commit();

 private:
  sqlite_db& db_;
  bool done_ = false;
};

// "sqlite:PATH" → PATH; nullopt for other specs.
std::optional<std::string> sqlite_path_of(const std::string& spec);

}  // namespace troupe::storage
