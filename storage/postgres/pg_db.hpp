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
  // Times this connection sent statements and waited for their answers
  // (a statement, a prepare, a pipeline's sync): what a batch costs in latency.
  std::uint64_t round_trips() const { return round_trips_; }

 private:
  friend class pg_transaction;
  void ensure_connected();
  [[noreturn]] void fail(const std::string& what);

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

// "postgres:URI" → URI; nullopt for other specs.
std::optional<std::string> postgres_uri_of(const std::string& spec);

}  // namespace troupe::storage
