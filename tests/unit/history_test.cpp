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
  message_list ten;
  for (int i = 0; i < 5; ++i) {
    ten.push_back(u("q" + std::to_string(i)));
    ten.push_back(a("r" + std::to_string(i)));
  }
  auto w = window_of(ten, cfg);
  BOOST_REQUIRE(w.ranges.size() == 1u);
  BOOST_TEST(w.ranges[0].begin == 7u);
  BOOST_TEST(w.ranges[0].end == 10u);
  w = window_of(message_list(ten.begin(), ten.begin() + 2), cfg);
  BOOST_TEST(w.ranges[0].begin == 0u);
  BOOST_TEST(w.size() == 2u);
}

BOOST_AUTO_TEST_CASE(window_is_empty_when_not_continuous) {
  conversation_config cfg;
  cfg.continuous = false;
  BOOST_TEST(window_of(message_list(10, u("x")), cfg).size() == 0u);
}

BOOST_AUTO_TEST_CASE(prompt_orders_system_instructions_history_new) {
  auto req = std::make_shared<completion_request>();
  req->messages = {sys("be brief"), u("new")};
  auto history = std::make_shared<const message_list>(message_list{u("h1"), a("h2"), u("old"), a("old reply")});
  prompt p;
  p.system_prompt.content = "agent prompt";
  p.request = req;
  p.instructions_end = 1;
  p.new_begin = 1;
  p.history = history;
  p.window.ranges = {{1, 4}};  // newest three
  std::vector<std::string> seen;
  p.for_each([&](const chat_message& m) { seen.push_back(m.content); });
  std::vector<std::string> want{"agent prompt", "be brief", "h2", "old", "old reply", "new"};
  BOOST_TEST(seen == want, boost::test_tools::per_element());
}

namespace {
chat_message calls(std::vector<std::string> ids) {
  chat_message m{role::assistant, ""};
  m.kind = content_kind::null;
  message_extra x;
  for (auto& id : ids) x.tool_calls.push_back({id, "f", "{}"});
  m.extra = std::make_shared<const message_extra>(std::move(x));
  return m;
}
chat_message result(std::string id, std::string text = "ok") {
  chat_message m{role::tool, std::move(text)};
  message_extra x;
  x.tool_call_id = std::move(id);
  m.extra = std::make_shared<const message_extra>(std::move(x));
  return m;
}
// The window as the contents it keeps, for readable assertions.
std::vector<std::string> seen(const message_list& held, const history_window& w) {
  std::vector<std::string> out;
  for (auto& r : w.ranges)
    for (auto i = r.begin; i < r.end; ++i)
      out.push_back(held[i].role == role::tool ? "tool:" + std::string(held[i].tool_call_id())
                    : held[i].tool_calls().empty() ? held[i].content
                                                   : "calls");
  return out;
}
conversation_config last(int n) {
  conversation_config c;
  c.history_length = n;
  return c;
}
}  // namespace

BOOST_AUTO_TEST_CASE(window_never_starts_with_an_orphan_tool_result) {
  message_list held{u("q"), calls({"c1", "c2"}), result("c1"), result("c2"), a("done"), u("next")};
  // The newest 4 begin inside the tool exchange: its results go with their call.
  BOOST_TEST(seen(held, window_of(held, last(4))) == (std::vector<std::string>{"done", "next"}),
             boost::test_tools::per_element());
  BOOST_TEST(seen(held, window_of(held, last(5))) ==
                 (std::vector<std::string>{"calls", "tool:c1", "tool:c2", "done", "next"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(window_drops_tool_calls_without_all_their_results) {
  // The stored turn ended with tool calls the client never answered.
  message_list held{u("q"), a("r"), u("call them"), calls({"c1", "c2"})};
  BOOST_TEST(seen(held, window_of(held, last(10))) ==
                 (std::vector<std::string>{"q", "r", "call them"}),
             boost::test_tools::per_element());
  // Answered in the new messages: kept.
  message_list following{result("c1"), result("c2")};
  BOOST_TEST(seen(held, window_of(held, last(10), following, 0)) ==
                 (std::vector<std::string>{"q", "r", "call them", "calls"}),
             boost::test_tools::per_element());
  // Half answered: the call goes, and so does the lone result.
  message_list half{u("q"), calls({"c1", "c2"}), result("c1"), u("moved on")};
  BOOST_TEST(seen(half, window_of(half, last(10))) == (std::vector<std::string>{"q", "moved on"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(resent_tool_exchanges_are_recognised) {
  message_list held{u("q"), calls({"c1"}), result("c1", "42"), a("it is 42")};
  message_list resent{u("q"), calls({"c1"}), result("c1", "42"), a("it is 42"), u("thanks")};
  BOOST_TEST(new_messages_begin(held, 4, resent) == 4u);
  message_list other_result{u("q"), calls({"c1"}), result("c1", "43"), a("it is 42"), u("x")};
  BOOST_TEST(new_messages_begin(held, 4, other_result) == 0u);
  message_list other_id{u("q"), calls({"c9"}), result("c1", "42"), a("it is 42"), u("x")};
  BOOST_TEST(new_messages_begin(held, 4, other_id) == 0u);
}

// The agent's own tool rounds are stored but the client never saw them.
BOOST_AUTO_TEST_CASE(a_resend_without_the_agents_tool_rounds_is_recognised) {
  message_list stored = {u("q1"), calls({"c1"}), result("c1", "14"), a("Results: 14")};
  BOOST_TEST(new_messages_begin(stored, stored.size(), {u("q1"), a("Results: 14"), u("q2")}) == 2u);
  // Two rounds, two calls each, in an earlier and a later turn.
  message_list longer = {u("q1"), calls({"c1", "c2"}), result("c1"), result("c2"), calls({"c3"}),
                         result("c3"), a("r1"), u("q2"), a("r2")};
  BOOST_TEST(new_messages_begin(longer, longer.size(), {u("q1"), a("r1"), u("q2"), a("r2"), u("q3")}) == 4u);
  // The client's own tool calls are resent and match as they are.
  message_list client = {u("q1"), calls({"c9"}), result("c9"), a("done")};
  BOOST_TEST(new_messages_begin(client, client.size(), {u("q1"), calls({"c9"}), result("c9"), a("done"), u("q2")}) == 4u);
  // Not a resend: a diverging message, a missing user message, nothing after the skip.
  BOOST_TEST(new_messages_begin(stored, stored.size(), {u("q1"), a("other"), u("q2")}) == 0u);
  BOOST_TEST(new_messages_begin(stored, stored.size(), {a("Results: 14"), u("q2")}) == 0u);
  BOOST_TEST(new_messages_begin(stored, stored.size(), {u("q1")}) == 0u);
  // Only a plain message is never skipped; and a window that holds part of the conversation is not aligned.
  message_list part = {calls({"c1"}), result("c1"), a("r")};
  BOOST_TEST(new_messages_begin(part, 5, {u("q0"), a("x"), u("q1"), a("r"), u("q2")}) == 0u);
}
