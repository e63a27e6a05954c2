#include "storage/postgres/pg_db.hpp"

#include <algorithm>
#include <cstdlib>

namespace troupe::storage {

namespace {

constexpr std::chrono::milliseconds first_backoff{100}, max_backoff{2000};

// libpq prints notices (e.g. "relation already exists, skipping") to stderr.
void drop_notice(void*, const char*) {}

// libpq's messages span lines ("\n\tIs the server running…"): one line here.
std::string trimmed(const char* msg) {
  std::string s;
  for (const char* p = msg ? msg : ""; *p; ++p) {
    bool space = *p == '\n' || *p == '\t' || *p == '\r';
    if (!space)
      s += *p;
    else if (!s.empty() && s.back() != ' ')
      s += ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// A statement's parameters as libpq takes them (text values, their lengths).
struct param_arrays {
  explicit param_arrays(const std::vector<pg_param>& params) {
    values.reserve(params.size());
    lengths.reserve(params.size());
    for (auto& p : params) {
      values.push_back(p.c_str());
      lengths.push_back(p.length());
    }
  }
  int count() const { return static_cast<int>(values.size()); }
  std::vector<const char*> values;
  std::vector<int> lengths;
};

}  // namespace

std::int64_t pg_result::integer(int row, int col) const {
  return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}

std::int64_t pg_result::changed() const { return std::strtoll(PQcmdTuples(r_), nullptr, 10); }

pg_db::pg_db(std::string uri) : uri_(std::move(uri)) { ensure_connected(); }

pg_db::~pg_db() { PQfinish(conn_); }

void pg_db::ensure_connected() {
  if (conn_) return;
  // Never continue a transaction on a new connection: its start is gone.
  if (tx_depth_ > 0) throw storage_error("postgres: connection lost during a transaction");
  auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_)
    throw storage_error("postgres: unreachable, reconnecting (" + last_error_ + ")");
  // The URI's own settings win over these defaults (it is expanded last).
  // A server that stops answering (not closing) is noticed within ~10 s
  // instead of holding the repository's thread for the kernel's minutes.
  const char* keys[] = {"connect_timeout", "application_name", "keepalives_idle",
                        "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                        "dbname", nullptr};
  const char* values[] = {"3", "troupe", "5", "2", "3", "10000", uri_.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (!c || PQstatus(c) != CONNECTION_OK) {
    last_error_ = c ? trimmed(PQerrorMessage(c)) : "out of memory";
    PQfinish(c);
    next_attempt_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, max_backoff);
    throw storage_error("postgres: cannot connect: " + last_error_);
  }
  PQsetNoticeProcessor(c, drop_notice, nullptr);
  conn_ = c;
  backoff_ = first_backoff;
  next_attempt_ = {};
  prepared_.clear();
}

void pg_db::fail(const std::string& what) {
  std::string msg = "postgres: " + what;
  if (conn_ && PQstatus(conn_) == CONNECTION_BAD) {
    // The server went away: drop the connection; the next call reconnects.
    last_error_ = what;
    PQfinish(conn_);
    conn_ = nullptr;
    prepared_.clear();
  }
  throw storage_error(msg);
}

void pg_db::exec(const char* sql) {
  ensure_connected();
  ++round_trips_;
  pg_result r{PQexec(conn_, sql)};
  auto st = PQresultStatus(r.raw());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(trimmed(PQerrorMessage(conn_)));
}

pg_result pg_db::query(const char* sql, std::initializer_list<pg_param> params) {
  return query(sql, std::vector<pg_param>(params));
}

const std::string& pg_db::prepared(const char* sql) {
  ensure_connected();
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size());
    ++round_trips_;
    pg_result p{PQprepare(conn_, name.c_str(), sql, 0, nullptr)};
    if (PQresultStatus(p.raw()) != PGRES_COMMAND_OK) fail(trimmed(PQerrorMessage(conn_)));
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  return it->second;
}

pg_result pg_db::query(const char* sql, const std::vector<pg_param>& params) {
  const std::string& name = prepared(sql);
  param_arrays a{params};
  ++round_trips_;
  pg_result r{PQexecPrepared(conn_, name.c_str(), a.count(), a.values.data(), a.lengths.data(),
                             nullptr, 0)};
  auto st = PQresultStatus(r.raw());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(trimmed(PQerrorMessage(conn_)));
  return r;
}

void pg_db::drop(const std::string& what) {
  last_error_ = what;
  PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();
  throw storage_error("postgres: " + what);
}

pg_transaction::pg_transaction(pg_db& db, kind k) : db_(db) {
  db_.exec(k == kind::write ? "BEGIN;" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;");
  ++db_.tx_depth_;
}

pg_transaction::~pg_transaction() {
  if (done_) return;
  --db_.tx_depth_;
  if (!db_.conn_) return;  // lost with its connection: the server rolled it back
  try {
    db_.exec("ROLLBACK;");
  } catch (const storage_error&) {
    // Nothing more to do: the transaction is gone either way.
  }
}

void pg_transaction::commit() {
  // The depth stays up during COMMIT: a lost connection must not reconnect.
  db_.exec("COMMIT;");
  --db_.tx_depth_;
  done_ = true;
}

pg_pipeline::pg_pipeline(pg_db& db, std::initializer_list<const char*> statements) : db_(db) {
  for (auto* sql : statements) db_.prepared(sql);
  if (PQenterPipelineMode(db_.conn_) != 1) db_.fail(trimmed(PQerrorMessage(db_.conn_)));
}

pg_pipeline::~pg_pipeline() {
  if (in_tx_) --db_.tx_depth_;
  if (!db_.conn_) return;  // lost: the server rolled back what was open
  try {
    while (head_ < queue_.size()) {
      if (queue_[head_])
        finish_segment();
      else
        next();
    }
    if (PQexitPipelineMode(db_.conn_) != 1) db_.drop(trimmed(PQerrorMessage(db_.conn_)));
    auto tx = PQtransactionStatus(db_.conn_);
    if (tx == PQTRANS_INTRANS || tx == PQTRANS_INERROR) {
      pg_result r{PQexec(db_.conn_, "ROLLBACK;")};
      if (PQresultStatus(r.raw()) != PGRES_COMMAND_OK) db_.drop("rollback failed");
    }
  } catch (const storage_error&) {
    // The connection is closed: nothing of the transaction stays.
  }
}

void pg_pipeline::begin() {
  send("BEGIN;");
  if (!in_tx_) ++db_.tx_depth_;
  in_tx_ = true;
}

void pg_pipeline::send(const char* sql, const std::vector<pg_param>& params) {
  if (!db_.conn_) throw storage_error("postgres: connection lost during a transaction");
  auto it = db_.prepared_.find(sql);
  if (it == db_.prepared_.end())
    throw storage_error(std::string("postgres: statement not prepared for the pipeline: ") + sql);
  param_arrays a{params};
  if (PQsendQueryPrepared(db_.conn_, it->second.c_str(), a.count(), a.values.data(),
                          a.lengths.data(), nullptr, 0) != 1)
    db_.drop(trimmed(PQerrorMessage(db_.conn_)));
  queue_.push_back(false);
}

void pg_pipeline::sync() {
  if (!db_.conn_) throw storage_error("postgres: connection lost during a transaction");
  ++db_.round_trips_;
  if (PQpipelineSync(db_.conn_) != 1) db_.drop(trimmed(PQerrorMessage(db_.conn_)));
  queue_.push_back(true);
}

PGresult* pg_pipeline::get() {
  if (!db_.conn_) throw storage_error("postgres: connection lost during a transaction");
  PGresult* r = PQgetResult(db_.conn_);
  if (!r) db_.drop("no answer in the pipeline: " + trimmed(PQerrorMessage(db_.conn_)));
  return r;
}

pg_pipeline::answer pg_pipeline::next() {
  if (head_ >= queue_.size() || queue_[head_])
    throw storage_error("postgres: pipeline out of step (no statement answer due)");
  pg_result r{get()};
  auto st = PQresultStatus(r.raw());
  if (st == PGRES_FATAL_ERROR && PQstatus(db_.conn_) == CONNECTION_BAD)
    db_.fail(trimmed(PQresultErrorMessage(r.raw())));
  if (st == PGRES_PIPELINE_SYNC) db_.drop("pipeline out of step (a sync for a statement)");
  // A statement's answer ends with a null.
  if (PGresult* extra = PQgetResult(db_.conn_)) {
    PQclear(extra);
    db_.drop("pipeline out of step (a statement answered twice)");
  }
  ++head_;
  answer a{answer::ok, std::nullopt, {}, {}};
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    a.result.emplace(std::move(r));
  } else if (st == PGRES_PIPELINE_ABORTED) {
    a.status = answer::skipped;
  } else {
    a.status = answer::failed;
    a.error = "postgres: " + trimmed(PQresultErrorMessage(r.raw()));
    const char* state = PQresultErrorField(r.raw(), PG_DIAG_SQLSTATE);
    a.sqlstate = state ? state : "";
  }
  return a;
}

void pg_pipeline::finish_segment() {
  while (head_ < queue_.size() && !queue_[head_]) next();
  if (head_ >= queue_.size()) throw storage_error("postgres: pipeline out of step (no sync due)");
  pg_result r{get()};
  if (PQresultStatus(r.raw()) != PGRES_PIPELINE_SYNC)
    db_.drop("pipeline out of step (a statement answer for a sync)");
  ++head_;
}

void pg_pipeline::expect(const answer& a, const char* what) {
  if (a.status == answer::failed) throw storage_error(a.error);
  if (a.status == answer::skipped)
    throw storage_error(std::string("postgres: ") + what + " was skipped after an error");
  if (std::string_view(what) == "COMMIT" && std::string_view(PQcmdStatus(a.result->raw())) != "COMMIT")
    throw storage_error("postgres: the transaction was rolled back instead of committed");
}

pg_param pg_array(const std::vector<std::optional<std::string>>& elements) {
  std::string out = "{";
  for (auto& e : elements) {
    if (out.size() > 1) out += ',';
    if (!e) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *e) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return pg_param(out);  // checks for NUL
}

std::optional<std::string> postgres_uri_of(const std::string& spec) {
  constexpr std::string_view prefix = "postgres:";
  if (spec.rfind(prefix, 0) != 0 || spec.size() == prefix.size()) return std::nullopt;
  return spec.substr(prefix.size());
}

}  // namespace troupe::storage
