// The key and usage stores on PostgreSQL (same semantics as SQLite's).
#include "storage/postgres/pg_key_store.hpp"

#include "domain/keys/key_codec.hpp"
#include "storage/postgres/pg_cluster_store.hpp"

namespace troupe::storage {

namespace {

domain::api_key decode(const std::string& body) {
  try {
    return domain::decode_key_record(body);
  } catch (const std::runtime_error& e) {
    throw storage_error(std::string("damaged key record: ") + e.what());
  }
}

std::string select_grouped(const char* column, const char* tail) {
  return std::string("SELECT ") + column +
         ", SUM(requests), SUM(prompt_tokens), SUM(completion_tokens) FROM usage_daily "
         "WHERE ($1::text = '' OR user_id = $1::text) AND ($2::text = '' OR key_id = $2::text) "
         "AND ($3::text = '' OR agent_id = $3::text) AND ($4::text = '' OR day >= $4::text) "
         "AND ($5::text = '' OR day <= $5::text) " +
         tail;
}

// One fixed statement per group_by (the column is never taken from input).
const char* select_for(domain::usage_group g) {
  static const std::string by_day = select_grouped("day", "GROUP BY 1 ORDER BY 1;"),
                           by_agent = select_grouped("agent_id", "GROUP BY 1 ORDER BY 1;"),
                           by_key = select_grouped("key_id", "GROUP BY 1 ORDER BY 1;"),
                           by_user = select_grouped("user_id", "GROUP BY 1 ORDER BY 1;"),
                           all = select_grouped("''::text", "HAVING COUNT(*) > 0;");
  switch (g) {
    case domain::usage_group::day:
      return by_day.c_str();
    case domain::usage_group::agent:
      return by_agent.c_str();
    case domain::usage_group::key:
      return by_key.c_str();
    case domain::usage_group::user:
      return by_user.c_str();
    case domain::usage_group::none:
      break;
  }
  return all.c_str();
}

}  // namespace

pg_key_store::pg_key_store(const std::string& uri) : db_(uri) {}

// Every write goes with its cluster_events row, in one transaction.
bool pg_key_store::insert(const domain::api_key& k) {
  pg_transaction tx{db_};
  auto r = db_.query(
      "INSERT INTO api_keys (id, hash, user_id, body) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT DO NOTHING;",
      {k.id, k.hash, k.user_id, domain::encode_key_record(k)});
  if (r.changed() == 0) return false;
  commit_with_event(tx, k.id);
  return true;
}

bool pg_key_store::update(const domain::api_key& k) {
  pg_transaction tx{db_};
  auto r = db_.query("UPDATE api_keys SET body = $1 WHERE id = $2;",
                     {domain::encode_key_record(k), k.id});
  if (r.changed() == 0) return false;
  commit_with_event(tx, k.id);
  return true;
}

bool pg_key_store::remove(const std::string& id) {
  pg_transaction tx{db_};
  auto r = db_.query("DELETE FROM api_keys WHERE id = $1;", {id});
  if (r.changed() == 0) return false;
  commit_with_event(tx, id);
  return true;
}

void pg_key_store::commit_with_event(pg_transaction& tx, const std::string& id) {
  pg_detail::publish(db_, "key", id);
  tx.commit();
}

std::optional<domain::api_key> pg_key_store::get(const std::string& id) const {
  auto r = db_.query("SELECT body FROM api_keys WHERE id = $1;", {id});
  if (r.empty()) return std::nullopt;
  return decode(r.text(0, 0));
}

std::vector<domain::api_key> pg_key_store::list(const domain::key_query& q) const {
  std::vector<domain::api_key> out;
  auto r = db_.query(
      "SELECT body FROM api_keys WHERE ($1::text = '' OR user_id = $1::text) ORDER BY seq "
      "LIMIT $2 OFFSET $3;",
      {q.user_id, q.limit, q.offset});
  for (int i = 0; i < r.rows(); ++i) out.push_back(decode(r.text(i, 0)));
  return out;
}

pg_usage_store::pg_usage_store(const std::string& uri) : db_(uri) {}

void pg_usage_store::add(const std::vector<domain::usage_entry>& entries) {
  if (entries.empty()) return;
  pg_transaction tx{db_};
  for (auto& e : entries)
    db_.query(
        "INSERT INTO usage_daily (day, user_id, key_id, agent_id, requests, prompt_tokens, "
        "completion_tokens) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (day, user_id, "
        "key_id, agent_id) DO UPDATE SET requests = usage_daily.requests + excluded.requests, "
        "prompt_tokens = usage_daily.prompt_tokens + excluded.prompt_tokens, completion_tokens = "
        "usage_daily.completion_tokens + excluded.completion_tokens;",
        {e.day, e.user_id, e.key_id, e.agent_id, e.counts.requests, e.counts.prompt_tokens,
         e.counts.completion_tokens});
  tx.commit();
}

bool pg_usage_store::probe_write() {
  db_.query("UPDATE schema_version SET version = version;");
  return true;
}

std::vector<domain::usage_total> pg_usage_store::query(const domain::usage_query& q) const {
  std::vector<domain::usage_total> out;
  auto r = db_.query(select_for(q.group_by), {q.user_id, q.key_id, q.agent_id, q.from, q.to});
  for (int i = 0; i < r.rows(); ++i) {
    domain::usage_total t;
    t.group = r.text(i, 0);
    t.counts.requests = r.integer(i, 1);
    t.counts.prompt_tokens = r.integer(i, 2);
    t.counts.completion_tokens = r.integer(i, 3);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace troupe::storage
