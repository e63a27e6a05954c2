#define BOOST_TEST_MODULE live_sessions
#include <boost/test/unit_test.hpp>

#include "actors/detail/live_sessions.hpp"

using troupe::actors::detail::live_sessions;
using namespace std::chrono_literals;

namespace {
const auto t0 = live_sessions::clock::time_point{} + 1h;
}

BOOST_AUTO_TEST_CASE(the_least_recently_used_idle_sessions_go_first) {
  live_sessions t;
  for (int i = 0; i < 4; ++i) t.add("s" + std::to_string(i), {}, "a", t0 + i * 1s);
  t.turn_started(*t.find("s0"), t0 + 10s);  // s0 is now the most recent, and busy
  auto victims = t.over_cap(3);             // 4 live, room for one more under 3 → drop 2
  BOOST_REQUIRE(victims.size() == 2u);
  BOOST_TEST(victims[0] == "s1");
  BOOST_TEST(victims[1] == "s2");
}

BOOST_AUTO_TEST_CASE(busy_sessions_never_sleep) {
  live_sessions t;
  t.add("a", {}, "x", t0);
  t.add("b", {}, "x", t0);
  t.turn_started(*t.find("a"), t0);
  t.turn_started(*t.find("b"), t0);
  BOOST_TEST(t.over_cap(1).empty());
  BOOST_TEST(t.idle_since(t0 + 1h).empty());
  t.turn_ended("a", t.find("a")->actor.address(), t0 + 5s);
  auto idle = t.idle_since(t0 + 6s);
  BOOST_REQUIRE(idle.size() == 1u);
  BOOST_TEST(idle[0] == "a");
  BOOST_TEST(t.idle_since(t0 + 4s).empty());  // a was used at +5s
}

BOOST_AUTO_TEST_CASE(under_the_cap_nothing_sleeps) {
  live_sessions t;
  t.add("a", {}, "x", t0);
  BOOST_TEST(t.over_cap(2).empty());
}

BOOST_AUTO_TEST_CASE(erase_and_agent_lookup) {
  live_sessions t;
  t.add("a", {}, "x", t0);
  t.add("b", {}, "y", t0);
  t.add("c", {}, "x", t0);
  auto of_x = t.of_agent("x");
  BOOST_TEST(of_x.size() == 2u);
  t.erase("a");
  BOOST_TEST(!t.find("a"));
  BOOST_TEST(t.size() == 2u);
  BOOST_TEST(t.ids().size() == 2u);
  BOOST_TEST(t.over_cap(2).size() == 1u);
}
