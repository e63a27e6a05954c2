#define BOOST_TEST_MODULE key_meter
#include <boost/test/unit_test.hpp>

#include "domain/keys/key_meter.hpp"

using namespace troupe::domain;

namespace {
constexpr std::int64_t t0 = 1764547200000;  // 2025-12-01T00:00:00Z

key_limits rpm(std::int64_t n) {
  key_limits l;
  l.rpm = n;
  return l;
}
}  // namespace

BOOST_AUTO_TEST_CASE(requests_per_minute_allow_a_burst_then_refill_evenly) {
  key_meter m;
  auto l = rpm(3);
  for (int i = 0; i < 3; ++i) {
    auto a = m.admit(l, t0);
    BOOST_TEST(a.admitted());
    BOOST_TEST(a.requests->remaining == 2 - i);
    m.release();
  }
  auto refused = m.admit(l, t0);
  BOOST_TEST((refused.refused == limit_refusal::requests));
  BOOST_TEST(refused.retry_after_s == 20.0, boost::test_tools::tolerance(1e-9));  // 60 s / 3
  BOOST_TEST(refused.requests->remaining == 0);
  BOOST_TEST(!m.admit(l, t0 + 19999).admitted());
  BOOST_TEST(m.admit(l, t0 + 20000).admitted());
}

BOOST_AUTO_TEST_CASE(tokens_per_minute_are_spent_after_the_turn_and_refused_while_in_debt) {
  key_meter m;
  key_limits l;
  l.tpm = 60;  // one token a second
  BOOST_TEST(m.admit(l, t0).admitted());
  m.release();
  m.record_tokens(l, 90, t0);  // 30 tokens of debt
  auto a = m.admit(l, t0);
  BOOST_TEST((a.refused == limit_refusal::tokens));
  BOOST_TEST(a.retry_after_s == 31.0, boost::test_tools::tolerance(1e-9));  // back to 1 token
  BOOST_TEST(a.tokens->remaining == 0);
  BOOST_TEST(m.admit(l, t0 + 31000).admitted());
}

BOOST_AUTO_TEST_CASE(max_parallel_counts_turns_in_flight) {
  key_meter m;
  key_limits l;
  l.max_parallel = 2;
  BOOST_TEST(m.admit(l, t0).admitted());
  BOOST_TEST(m.admit(l, t0).admitted());
  auto a = m.admit(l, t0);
  BOOST_TEST((a.refused == limit_refusal::parallel));
  BOOST_TEST(m.in_flight() == 2);
  m.release();
  BOOST_TEST(m.admit(l, t0).admitted());
}

BOOST_AUTO_TEST_CASE(a_spent_budget_is_refused_until_the_period_ends) {
  key_meter m;
  key_limits l;
  l.token_budget = 100;
  l.period = budget_period::day;
  auto noon = t0 + 12 * 3600000;
  BOOST_TEST(m.admit(l, noon).admitted());
  m.release();
  m.record_tokens(l, 100, noon);
  auto a = m.admit(l, noon);
  BOOST_TEST((a.refused == limit_refusal::budget));
  BOOST_TEST(a.retry_after_s == 12 * 3600.0, boost::test_tools::tolerance(1e-9));
  auto e = refusal_error(a, l);
  BOOST_TEST(e.status == 429);
  BOOST_TEST(e.type == "insufficient_quota");
  BOOST_TEST(e.code == "insufficient_quota");
  BOOST_TEST(e.retry_after_s == 12 * 3600);
  BOOST_TEST(m.admit(l, t0 + 86400000).admitted());  // the next day
}

BOOST_AUTO_TEST_CASE(a_seeded_budget_counts_what_storage_says_was_spent) {
  key_meter m;
  key_limits l;
  l.token_budget = 100;
  l.period = budget_period::month;
  m.seed_budget(l, 100, t0);
  BOOST_TEST((m.admit(l, t0 + 1000).refused == limit_refusal::budget));
}

BOOST_AUTO_TEST_CASE(a_refused_request_takes_nothing) {
  key_meter m;
  key_limits l = rpm(2);
  l.max_parallel = 1;
  BOOST_TEST(m.admit(l, t0).admitted());
  BOOST_TEST((m.admit(l, t0).refused == limit_refusal::parallel));  // not a request spent
  m.release();
  BOOST_TEST(m.admit(l, t0).admitted());  // the second of two
  m.release();
  BOOST_TEST(m.in_flight() == 0);
  BOOST_TEST((m.admit(l, t0).refused == limit_refusal::requests));
}

BOOST_AUTO_TEST_CASE(a_lowered_limit_applies_at_once) {
  key_meter m;
  BOOST_TEST(m.admit(rpm(100), t0).admitted());
  BOOST_TEST(m.admit(rpm(1), t0).requests->remaining == 0);
}

BOOST_AUTO_TEST_CASE(headers_name_openai_fields) {
  key_meter m;
  key_limits l = rpm(60);
  l.tpm = 1000;
  auto h = rate_limit_headers(m.admit(l, t0));
  BOOST_REQUIRE(h.size() == 6u);
  BOOST_TEST(h[0].first == "x-ratelimit-limit-requests");
  BOOST_TEST(h[0].second == "60");
  BOOST_TEST(h[1].first == "x-ratelimit-remaining-requests");
  BOOST_TEST(h[1].second == "59");
  BOOST_TEST(h[2].first == "x-ratelimit-reset-requests");
  BOOST_TEST(h[2].second == "1s");
  BOOST_TEST(h[3].first == "x-ratelimit-limit-tokens");
  BOOST_TEST(h[5].second == "0s");
  BOOST_TEST(rate_limit_headers(key_meter{}.admit(key_limits{}, t0)).empty());
}

BOOST_AUTO_TEST_CASE(resets_are_written_like_openai) {
  BOOST_TEST(format_reset(0) == "0s");
  BOOST_TEST(format_reset(0.25) == "250ms");
  BOOST_TEST(format_reset(1) == "1s");
  BOOST_TEST(format_reset(1.5) == "1.5s");
  BOOST_TEST(format_reset(360) == "6m0s");
  BOOST_TEST(format_reset(3723) == "1h2m3s");
}

BOOST_AUTO_TEST_CASE(rate_errors_are_openai_rate_limit_errors) {
  key_meter m;
  auto l = rpm(1);
  m.admit(l, t0);
  auto e = refusal_error(m.admit(l, t0), l);
  BOOST_TEST(e.status == 429);
  BOOST_TEST(e.type == "rate_limit_error");
  BOOST_TEST(e.code == "rate_limit_exceeded");
  BOOST_TEST(e.retry_after_s == 60);
}

BOOST_AUTO_TEST_CASE(periods_end_at_utc_midnight_and_month_start) {
  auto dec31 = t0 + 30LL * 86400000 + 5000;  // 2025-12-31T00:00:05Z
  BOOST_TEST(period_end_ms(budget_period::day, dec31) == t0 + 31LL * 86400000);
  BOOST_TEST(period_end_ms(budget_period::month, dec31) == t0 + 31LL * 86400000);  // 2026-01-01
  BOOST_TEST(period_start_ms(budget_period::month, dec31) == t0);
  BOOST_TEST(period_index(budget_period::month, dec31) != period_index(budget_period::month, dec31 + 86400000));
}

BOOST_AUTO_TEST_CASE(finish_releases_the_slot_and_spends_the_tokens) {
  key_meter m;
  key_limits l;
  l.max_parallel = 1;
  l.tpm = 60;
  BOOST_TEST(m.admit(l, t0).admitted());
  m.finish(l, 61, t0);
  BOOST_TEST(m.in_flight() == 0);
  BOOST_TEST((m.admit(l, t0).refused == limit_refusal::tokens));
}
