#define BOOST_TEST_MODULE usage
#include <boost/test/unit_test.hpp>

#include "domain/core/api_error.hpp"
#include "domain/keys/usage.hpp"
#include "json_support.hpp"

using namespace troupe::domain;
using troupe::testing::parse_json;

namespace {
constexpr std::int64_t dec1 = 1764547200000;  // 2025-12-01T00:00:00Z
constexpr std::int64_t day = 86400000;

usage_counts counts(std::int64_t requests, std::int64_t prompt, std::int64_t completion) {
  usage_counts c;
  c.requests = requests;
  c.prompt_tokens = prompt;
  c.completion_tokens = completion;
  return c;
}

int status_of(std::string from, std::string to, std::string_view group) {
  try {
    parse_usage_query("", "", "", std::move(from), std::move(to), group);
  } catch (const api_error& e) {
    return e.status;
  }
  return 0;
}
}  // namespace

BOOST_AUTO_TEST_CASE(days_are_utc_calendar_dates) {
  BOOST_TEST(utc_day(dec1) == "2025-12-01");
  BOOST_TEST(utc_day(dec1 - 1) == "2025-11-30");
  BOOST_TEST(valid_day("2024-02-29"));
  BOOST_TEST(!valid_day("2025-02-29"));
  BOOST_TEST(!valid_day("2025-13-01"));
  BOOST_TEST(!valid_day("2025-1-01"));
  BOOST_TEST(!valid_day("yesterday"));
}

BOOST_AUTO_TEST_CASE(queries_are_checked) {
  BOOST_TEST(status_of("2025-12-01", "2025-12-31", "day") == 0);
  BOOST_TEST(status_of("", "", "") == 0);
  BOOST_TEST(status_of("2025-12-31", "2025-12-01", "") == 400);
  BOOST_TEST(status_of("12/01/2025", "", "") == 400);
  BOOST_TEST(status_of("", "", "week") == 400);
}

BOOST_AUTO_TEST_CASE(the_meter_sums_turns_per_day_user_key_and_agent_until_drained) {
  usage_meter m;
  m.add("alice", "key-1", "demo", dec1 + 10, counts(1, 10, 5));
  m.add("alice", "key-1", "demo", dec1 + 20, counts(1, 1, 1));
  m.add("alice", "key-1", "demo", dec1 + day, counts(1, 2, 2));
  m.add("", "", "demo", dec1, counts(1, 0, 0));
  auto rows = m.drain();
  BOOST_REQUIRE(rows.size() == 3u);
  auto& first = rows[1];  // ordered by day, user, key, agent: ("", …) comes first
  BOOST_TEST(first.day == "2025-12-01");
  BOOST_TEST(first.counts.requests == 2);
  BOOST_TEST(first.counts.total_tokens() == 17);
  BOOST_TEST(m.drain().empty());
}

BOOST_AUTO_TEST_CASE(reports_filter_and_group) {
  std::vector<usage_entry> rows = {
      {"2025-12-01", "alice", "key-1", "demo", counts(2, 10, 10)},
      {"2025-12-02", "alice", "key-2", "helper", counts(1, 5, 5)},
      {"2025-12-02", "bob", "key-3", "demo", counts(4, 1, 1)},
  };
  auto q = parse_usage_query("alice", "", "", "", "", "agent");
  auto by_agent = summarize(rows, q);
  BOOST_REQUIRE(by_agent.size() == 2u);
  BOOST_TEST(by_agent[0].group == "demo");
  BOOST_TEST(by_agent[0].counts.requests == 2);
  auto q2 = parse_usage_query("", "", "demo", "2025-12-02", "2025-12-02", "");
  auto total = summarize(rows, q2);
  BOOST_REQUIRE(total.size() == 1u);
  BOOST_TEST(total[0].counts.requests == 4);
  auto json = parse_json(encode_usage_report(q, by_agent));
  BOOST_TEST(json["object"].GetString() == std::string("usage"));
  BOOST_TEST(json["group_by"].GetString() == std::string("agent"));
  BOOST_TEST(json["totals"]["requests"].GetInt() == 3);
  BOOST_TEST(json["totals"]["total_tokens"].GetInt() == 30);
  BOOST_TEST(json["data"][1]["agent_id"].GetString() == std::string("helper"));
  BOOST_TEST(json["filters"]["user_id"].GetString() == std::string("alice"));
  BOOST_TEST(json["filters"]["from"].IsNull());
}
