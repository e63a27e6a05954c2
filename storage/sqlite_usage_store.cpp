#include "storage/sqlite_usage_store.hpp"

#include <string>

namespace troupe::storage {

namespace {

std::string select_grouped(const char* column, const char* tail) {
  return std::string("SELECT ") + column +
         ", SUM(requests), SUM(prompt_tokens), SUM(completion_tokens) FROM usage_daily "
         "WHERE (?1 = '' OR user_id = ?1) AND (?2 = '' OR key_id = ?2) AND (?3 = '' OR agent_id = ?3) "
         "AND (?4 = '' OR day >= ?4) AND (?5 = '' OR day <= ?5) " + tail;
}

// One fixed statement per group_by (the column is never taken from input).
const char* select_for(domain::usage_group g) {
  static const std::string by_day = select_grouped("day", "GROUP BY 1 ORDER BY 1;"),
                           by_agent = select_grouped("agent_id", "GROUP BY 1 ORDER BY 1;"),
                           by_key = select_grouped("key_id", "GROUP BY 1 ORDER BY 1;"),
                           by_user = select_grouped("user_id", "GROUP BY 1 ORDER BY 1;"),
                           all = select_grouped("''", "HAVING COUNT(*) > 0;");
  switch (g) {
    case domain::usage_group::day: return by_day.c_str();
    case domain::usage_group::agent: return by_agent.c_str();
    case domain::usage_group::key: return by_key.c_str();
    case domain::usage_group::user: return by_user.c_str();
    case domain::usage_group::none: break;
  }
  return all.c_str();
}

}  // namespace

sqlite_usage_store::sqlite_usage_store(const std::string& path) : db_(path) {}

void sqlite_usage_store::add(const std::vector<domain::usage_entry>& entries) {
  if (entries.empty()) return;
  sqlite_transaction tx{db_};
  for (auto& e : entries)
    db_.prepare(
           "INSERT INTO usage_daily (day, user_id, key_id, agent_id, requests, prompt_tokens, "
           "completion_tokens) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, user_id, key_id, "
           "agent_id) DO UPDATE SET requests = requests + excluded.requests, prompt_tokens = "
           "prompt_tokens + excluded.prompt_tokens, completion_tokens = completion_tokens + "
           "excluded.completion_tokens;")
        .bind(1, e.day)
        .bind(2, e.user_id)
        .bind(3, e.key_id)
        .bind(4, e.agent_id)
        .bind(5, e.counts.requests)
        .bind(6, e.counts.prompt_tokens)
        .bind(7, e.counts.completion_tokens)
        .run();
  tx.commit();
}

std::vector<domain::usage_total> sqlite_usage_store::query(const domain::usage_query& q) const {
  std::vector<domain::usage_total> out;
  auto s = db_.prepare(select_for(q.group_by));
  s.bind(1, q.user_id).bind(2, q.key_id).bind(3, q.agent_id).bind(4, q.from).bind(5, q.to);
  while (s.step()) {
    domain::usage_total t;
    t.group = s.text(0);
    t.counts.requests = s.integer(1);
    t.counts.prompt_tokens = s.integer(2);
    t.counts.completion_tokens = s.integer(3);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace troupe::storage
