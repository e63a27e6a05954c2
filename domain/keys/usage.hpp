#pragma once
// Token and request usage, counted per UTC day, user, key and agent: the
// meter gathers finished turns in memory; storage keeps the daily sums.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace troupe::domain {

struct usage_counts {
  std::int64_t requests = 0;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens() const { return prompt_tokens + completion_tokens; }
  usage_counts& operator+=(const usage_counts& o);
};

// One stored row. key_id is empty for the admin token.
struct usage_entry {
  std::string day;  // YYYY-MM-DD (UTC)
  std::string user_id, key_id, agent_id;
  usage_counts counts;
};

enum class usage_group { none, day, agent, key, user };

struct usage_query {
  std::string user_id, key_id, agent_id;  // empty: any
  std::string from, to;                   // YYYY-MM-DD, inclusive; empty: open
  usage_group group_by = usage_group::none;
};

// One group's sums (group is "" without group_by).
struct usage_total {
  std::string group;
  usage_counts counts;
};

std::string utc_day(std::int64_t ms);
// A real calendar date written YYYY-MM-DD.
bool valid_day(std::string_view text);

// Validates the query-string values of GET /v1/usage (400 for bad ones).
usage_query parse_usage_query(std::string user_id, std::string key_id, std::string agent_id,
                              std::string from, std::string to, std::string_view group_by);

bool matches(const usage_query& q, const usage_entry& e);
// Sums the matching entries per group, groups in ascending order.
std::vector<usage_total> summarize(const std::vector<usage_entry>& entries, const usage_query& q);

std::string encode_usage_report(const usage_query& q, const std::vector<usage_total>& groups);

// Finished turns not yet written; storage drains it in batches.
class usage_meter {
 public:
  void add(std::string_view user_id, std::string_view key_id, std::string_view agent_id,
           std::int64_t now_ms, const usage_counts& c);
  std::vector<usage_entry> drain();

 private:
  using row_key = std::tuple<std::string, std::string, std::string, std::string>;
  std::mutex mu_;
  std::map<row_key, usage_counts> pending_;
};

}  // namespace troupe::domain
