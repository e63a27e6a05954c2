#pragma once
// A user's API key: whose requests it makes, which agents it may use, and its
// limits. The secret itself is never kept: only its SHA-256 and a prefix to
// recognise it by.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::domain {

enum class budget_period { none, day, month };
std::string_view to_string(budget_period p);
std::optional<budget_period> parse_budget_period(std::string_view text);

// Calendar periods in UTC: a number that changes when a new period begins,
// and when the current one ends (ms since the epoch).
std::int64_t period_index(budget_period p, std::int64_t now_ms);
std::int64_t period_start_ms(budget_period p, std::int64_t now_ms);
std::int64_t period_end_ms(budget_period p, std::int64_t now_ms);

// Unset: unlimited.
struct key_limits {
  std::optional<std::int64_t> rpm;           // requests per minute
  std::optional<std::int64_t> tpm;           // tokens per minute (from each turn's usage)
  std::optional<std::int64_t> max_parallel;  // turns in flight
  std::optional<std::int64_t> token_budget;  // tokens per period
  budget_period period = budget_period::none;
};

struct api_key {
  std::string id;  // "key-…", not secret
  std::string user_id;
  std::string name;
  std::vector<std::string> agents;  // empty: every agent
  key_limits limits;
  std::optional<std::int64_t> expires_at_ms;
  std::int64_t created_at_ms = 0;
  std::string prefix;  // the secret's first characters
  std::string hash;    // hex SHA-256 of the secret

  bool allows_agent(std::string_view agent_id) const;
  bool expired(std::int64_t now_ms) const { return expires_at_ms && now_ms >= *expires_at_ms; }
};

struct key_query {
  std::string user_id;  // empty: every user
  std::int64_t limit = 100;
  std::int64_t offset = 0;
};

}  // namespace troupe::domain
