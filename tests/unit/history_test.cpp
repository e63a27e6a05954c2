#define BOOST_TEST_MODULE history
#include <boost/test/unit_test.hpp>

#include "domain/chat/history.hpp"
#include "domain/chat/prompt.hpp"

using namespace troupe::domain;

namespace {
chat_message u(std::string s) { return {role::user, std::move(s), 0}; }
chat_message a(std::string s) { return {role::assistant, std::move(s), 0}; }
chat_message sys(std::string s) { return {role::system, std::move(s), 0}; }
}  // namespace

BOOST_AUTO_TEST_CASE(empty_history_takes_everything) {
  BOOST_TEST(new_messages_begin({}, 0, {u("hi")}) == 0u);
}

BOOST_AUTO_TEST_CASE(resent_conversation_keeps_only_the_tail) {
  message_list stored{u("hi"), a("hello")};
  BOOST_TEST(new_messages_begin(stored, stored.size(), {u("hi"), a("hello"), u("more")}) == 2u);
}

BOOST_AUTO_TEST_CASE(a_new_message_only_is_all_new) {
  message_list stored{u("hi"), a("hello")};
  BOOST_TEST(new_messages_begin(stored, stored.size(), {u("more")}) == 0u);
  // the same words again are a new message, not a resend
  BOOST_TEST(new_messages_begin(stored, stored.size(), {u("hi")}) == 0u);
}

BOOST_AUTO_TEST_CASE(resending_exactly_the_history_adds_nothing) {
  message_list stored{u("hi"), a("hello")};
  BOOST_TEST(new_messages_begin(stored, stored.size(), {u("hi"), a("hello")}) == 2u);
  BOOST_TEST(new_messages_begin(stored, stored.size(), {sys("x"), u("hi"), a("hello")}, 1) == 3u);
  BOOST_TEST(new_messages_begin(stored, stored.size(), {u("hi"), a("other")}) == 0u);
}

BOOST_AUTO_TEST_CASE(a_diverging_prefix_is_not_a_resend) {
  message_list stored{u("hi"), a("hello")};
  BOOST_TEST(new_messages_begin(stored, stored.size(), {u("hi"), a("other"), u("more")}) == 0u);
  // role counts too
  BOOST_TEST(new_messages_begin(stored, stored.size(), {u("hi"), u("hello"), u("more")}) == 0u);
}

BOOST_AUTO_TEST_CASE(reconciliation_starts_after_instructions) {
  message_list stored{u("hi"), a("hello")};
  message_list incoming{sys("be brief"), u("hi"), a("hello"), u("more")};
  auto from = leading_system_count(incoming);
  BOOST_TEST(from == 1u);
  BOOST_TEST(new_messages_begin(stored, stored.size(), incoming, from) == 3u);
  BOOST_TEST(new_messages_begin(stored, stored.size(), {sys("x"), u("more")}, 1) == 1u);
}

BOOST_AUTO_TEST_CASE(resend_is_recognised_against_a_held_window) {
  // stored: q1 r1 q2 r2 (4); the live session holds only the newest two
  message_list held{u("q2"), a("r2")};
  message_list resend{u("q1"), a("r1"), u("q2"), a("r2"), u("q3")};
  BOOST_TEST(new_messages_begin(held, 4, resend) == 4u);
  message_list diverged{u("q1"), a("r1"), u("q2"), a("other"), u("q3")};
  BOOST_TEST(new_messages_begin(held, 4, diverged) == 0u);
  message_list too_short{u("q2"), a("r2"), u("q3")};
  BOOST_TEST(new_messages_begin(held, 4, too_short) == 0u);
}

BOOST_AUTO_TEST_CASE(window_keeps_newest) {
  conversation_config cfg;
  cfg.history_length = 3;
  auto w = window_of(10, cfg);
  BOOST_TEST(w.begin == 7u);
  BOOST_TEST(w.end == 10u);
  w = window_of(2, cfg);
  BOOST_TEST(w.begin == 0u);
  BOOST_TEST(w.size() == 2u);
}

BOOST_AUTO_TEST_CASE(window_is_empty_when_not_continuous) {
  conversation_config cfg;
  cfg.continuous = false;
  BOOST_TEST(window_of(10, cfg).size() == 0u);
}

BOOST_AUTO_TEST_CASE(prompt_orders_system_instructions_history_new) {
  auto req = std::make_shared<completion_request>();
  req->messages = {sys("be brief"), u("old"), a("old reply"), u("new")};
  auto history = std::make_shared<const message_list>(message_list{u("h1"), a("h2"), u("old"), a("old reply")});
  prompt p;
  p.system_prompt = "agent prompt";
  p.request = req;
  p.instructions_end = 1;
  p.new_begin = 3;
  p.history = history;
  p.window = {1, 4};  // newest three
  std::vector<std::string> seen;
  p.for_each([&](role, const std::string& c) { seen.push_back(c); });
  std::vector<std::string> want{"agent prompt", "be brief", "h2", "old", "old reply", "new"};
  BOOST_TEST(seen == want, boost::test_tools::per_element());
}
