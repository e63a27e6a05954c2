#define BOOST_TEST_MODULE memory_session_store
#include <boost/test/unit_test.hpp>

#include "storage/memory_session_store.hpp"

using namespace troupe;
using domain::chat_message;
using domain::role;

namespace {
domain::session_info info(std::string id, std::string agent, std::string user) {
  return {std::move(id), std::move(agent), std::move(user), 1, 1, 0};
}
}  // namespace

BOOST_AUTO_TEST_CASE(turns_append_in_order) {
  storage::memory_session_store s;
  s.append_turn(info("s1", "a", "u"), {{role::user, "q1", 1}, {role::assistant, "r1", 1}});
  auto later = info("s1", "a", "u");
  later.last_activity_ms = 9;
  s.append_turn(later, {{role::user, "q2", 2}, {role::assistant, "r2", 2}});
  auto got = s.get("s1");
  BOOST_REQUIRE(got);
  BOOST_TEST(got->message_count == 4);
  BOOST_TEST(got->last_activity_ms == 9);
  auto h = s.history("s1", 3);
  BOOST_REQUIRE(h.size() == 3u);
  BOOST_TEST(h[0].content == "r1");
  BOOST_TEST(h[2].content == "r2");
  BOOST_TEST(s.history("s1", 100).size() == 4u);
  BOOST_TEST(s.history("nope", 5).empty());
}

BOOST_AUTO_TEST_CASE(list_filters_and_pages_in_creation_order) {
  storage::memory_session_store s;
  for (int i = 0; i < 5; ++i)
    s.append_turn(info("s" + std::to_string(i), i % 2 ? "odd" : "even", "u"), {{role::user, "x", 1}});
  domain::session_query q;
  BOOST_TEST(s.list(q).size() == 5u);
  q.agent_id = "even";
  auto even = s.list(q);
  BOOST_REQUIRE(even.size() == 3u);
  BOOST_TEST(even[1].id == "s2");
  q.offset = 1;
  q.limit = 1;
  auto page = s.list(q);
  BOOST_REQUIRE(page.size() == 1u);
  BOOST_TEST(page[0].id == "s2");
}

BOOST_AUTO_TEST_CASE(remove_and_remove_by_agent) {
  storage::memory_session_store s;
  s.append_turn(info("a1", "A", ""), {});
  s.append_turn(info("a2", "A", ""), {});
  s.append_turn(info("b1", "B", ""), {});
  BOOST_TEST(s.remove("b1"));
  BOOST_TEST(!s.remove("b1"));
  BOOST_TEST(s.remove_by_agent("A").size() == 2u);
  BOOST_TEST(s.count() == 0u);
}
