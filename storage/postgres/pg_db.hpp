#pragma once
// A thin RAII layer over libpq: one connection per store (like sqlite_db),
// statements prepared once per connection, errors as storage_error.
// A lost connection is reopened by the next call, no sooner than a backoff
// (100 ms doubling to 2 s) after the last failed attempt: while the server
// is away every call fails at once (503) instead of waiting for a connect.
#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/storage_error.hpp"

namespace troupe::storage {

// A parameter of a statement: text, a number, or SQL NULL.
class pg_param {
 public:
  pg_param(std::nullptr_t) : null_(true) {}
  // Text goes NUL-terminated: a NUL inside would cut it short silently.
  pg_param(std::string_view s) : text_(s) { check(); }
  pg_param(const std::string& s) : text_(s) { check(); }
  pg_param(const char* s) : text_(s) {}
  pg_param(std::int64_t n) : text_(std::to_string(n)) {}
  pg_param(int n) : text_(std::to_string(n)) {}
  pg_param(std::size_t n) : text_(std::to_string(n)) {}
  const char* c_str() const { return null_ ? nullptr : text_.c_str(); }
  int length() const { return static_cast<int>(text_.size()); }

 private:
  void check() const {
    if (text_.find('\0') != std::string::npos)
      throw storage_error("postgres: text with a NUL byte cannot be stored");
  }
  std::string text_;
  bool null_ = false;
};

// The rows of one statement (text format).
class pg_result {
 public:
  explicit pg_result(PGresult* r) : r_(r) {}
  pg_result(pg_result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  pg_result& operator=(pg_result&&) = delete;
  pg_result(const pg_result&) = delete;
  ~pg_result() { PQclear(r_); }
  int rows() const { return PQntuples(r_); }
  bool empty() const { return rows() == 0; }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col),
                       static_cast<std::size_t>(PQgetlength(r_, row, col)));
  }
  std::int64_t integer(int row, int col) const;
  bool is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  // Rows an INSERT, UPDATE or DELETE changed.
  std::int64_t changed() const;
  PGresult* raw() const { return r_; }

 private:
  PGresult* r_;
};

class pg_db {
 public:
  // Connects at once (throws storage_error when it cannot).
  explicit pg_db(std::string uri);
  ~pg_db();
  pg_db(const pg_db&) = delete;
  pg_db& operator=(const pg_db&) = delete;

  // Runs SQL without parameters (several statements allowed).
  void exec(const char* sql);
  // Runs one statement, prepared on first use on this connection.
  pg_result query(const char* sql, std::initializer_list<pg_param> params = {});
  pg_result query(const char* sql, const std::vector<pg_param>& params);

  // Schema (pg_schema.cpp).
  void migrate();
  void check_schema();  // throws unless the database has this build's schema
  int schema_version();
  std::size_t drop_orphan_sessions();

  bool in_transaction() const { return tx_depth_ > 0; }
  // The name `sql` is prepared under on this connection (prepared now if needed).
  const std::string& prepared(const char* sql);
  // Times this connection sent statements and waited for their answers
  // (a statement, a prepare, a pipeline's sync): what a batch costs in latency.
  std::uint64_t round_trips() const { return round_trips_; }

 private:
  friend class pg_transaction;
  friend class pg_pipeline;
  void ensure_connected();
  [[noreturn]] void fail(const std::string& what);
  // Closes the connection (the server rolls back what was open) and throws.
  [[noreturn]] void drop(const std::string& what);

  std::string uri_;
  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // sql → statement name
  int tx_depth_ = 0;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{100};
  std::string last_error_;
  std::uint64_t round_trips_ = 0;
};

// Rolls back unless committed (also when an exception leaves the scope).
// A read transaction sees one snapshot (REPEATABLE READ, read only).
class pg_transaction {
 public:
  enum class kind { write, read };
  explicit pg_transaction(pg_db& db, kind k = kind::write);
  ~pg_transaction();
  void commit();

 private:
  pg_db& db_;
  bool done_ = false;
};

// Statements sent without waiting for each answer (libpq's pipeline mode):
// what would be one round trip per statement is one per sync(). Answers come
// back in the order sent. After an error the server skips the rest of the
// segment (up to the next sync()): those statements answer `skipped`. In a
// transaction an error also aborts the transaction, as without a pipeline
// (a savepoint brings it back).
class pg_pipeline {
 public:
  // Prepares `statements` first (those not yet prepared on this
  // connection); send() takes only these.
  pg_pipeline(pg_db& db, std::initializer_list<const char*> statements);
  // Reads the answers not read yet, leaves pipeline mode and rolls back a
  // transaction still open; closes the connection when any of that fails.
  ~pg_pipeline();
  pg_pipeline(const pg_pipeline&) = delete;
  pg_pipeline& operator=(const pg_pipeline&) = delete;

  // Queues BEGIN: the connection counts as in a transaction until this object
  // is gone (a lost connection is not reopened in its middle). COMMIT is
  // sent like any statement (its answer checked with expect()).
  void begin();
  void send(const char* sql, const std::vector<pg_param>& params = {});
  // Ends the segment and sends what is queued: one round trip.
  void sync();

  struct answer {
    enum status_t { ok, failed, skipped } status;
    std::optional<pg_result> result;  // when ok
    std::string error;                 // "postgres: …", like storage_error's
    std::string sqlstate;
  };
  // The next statement's answer. Throws storage_error (and drops the
  // connection) when the connection is lost.
  answer next();
  // Reads the rest of the current segment, up to and including its sync.
  void finish_segment();
  // Throws unless `a` is ok and, for a COMMIT, really committed (PostgreSQL
  // answers COMMIT in a failed transaction with a rollback).
  static void expect(const answer& a, const char* what);

 private:
  PGresult* get();
  pg_db& db_;
  std::vector<bool> queue_;  // per message sent and not answered: true for a sync
  std::size_t head_ = 0;
  bool in_tx_ = false;
};

// A text[] (or bigint[]: numbers as text) parameter: elements text, or SQL
// NULL (nullopt). Throws storage_error for a NUL byte, as pg_param does.
pg_param pg_array(const std::vector<std::optional<std::string>>& elements);

// "postgres:URI" → URI; nullopt for other specs.
std::optional<std::string> postgres_uri_of(const std::string& spec);

}  // namespace troupe::storage
