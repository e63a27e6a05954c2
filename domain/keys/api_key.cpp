#include "domain/keys/api_key.hpp"

#include <algorithm>
#include <ctime>

namespace troupe::domain {

namespace {

constexpr std::int64_t day_ms = 86400000;

std::tm utc(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

std::int64_t month_start_ms(int year, int month) {  // month 0..11, may be 12
  std::tm tm{};
  tm.tm_year = year - 1900 + month / 12;
  tm.tm_mon = month % 12;
  tm.tm_mday = 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

}  // namespace

std::string_view to_string(budget_period p) {
  switch (p) {
    case budget_period::day: return "day";
    case budget_period::month: return "month";
    case budget_period::none: break;
  }
  return "none";
}

std::optional<budget_period> parse_budget_period(std::string_view text) {
  if (text == "day") return budget_period::day;
  if (text == "month") return budget_period::month;
  return std::nullopt;
}

std::int64_t period_index(budget_period p, std::int64_t now_ms) {
  if (p == budget_period::day) return now_ms / day_ms;
  if (p == budget_period::month) {
    auto tm = utc(now_ms);
    return (tm.tm_year + 1900) * 12 + tm.tm_mon;
  }
  return 0;
}

std::int64_t period_start_ms(budget_period p, std::int64_t now_ms) {
  if (p == budget_period::day) return now_ms / day_ms * day_ms;
  if (p == budget_period::month) {
    auto tm = utc(now_ms);
    return month_start_ms(tm.tm_year + 1900, tm.tm_mon);
  }
  return 0;
}

std::int64_t period_end_ms(budget_period p, std::int64_t now_ms) {
  if (p == budget_period::day) return (now_ms / day_ms + 1) * day_ms;
  if (p == budget_period::month) {
    auto tm = utc(now_ms);
    return month_start_ms(tm.tm_year + 1900, tm.tm_mon + 1);
  }
  return now_ms;
}

bool api_key::allows_agent(std::string_view agent_id) const {
  return agents.empty() || std::find(agents.begin(), agents.end(), agent_id) != agents.end();
}

}  // namespace troupe::domain
