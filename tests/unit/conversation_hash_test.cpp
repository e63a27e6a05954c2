#define BOOST_TEST_MODULE conversation_hash
#include <boost/test/unit_test.hpp>

#include "domain/chat/conversation_hash.hpp"

using namespace troupe::domain;

namespace {
chat_message u(std::string s) { return {role::user, std::move(s)}; }
chat_message a(std::string s) { return {role::assistant, std::move(s)}; }
chat_message call(std::string id, std::string args) {
  chat_message m{role::assistant, ""};
  m.kind = content_kind::null;
  auto x = std::make_shared<message_extra>();
  x->tool_calls.push_back({std::move(id), "f", std::move(args)});
  m.extra = x;
  return m;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_chain_equals_the_hash_of_the_whole) {
  message_list conv{u("q"), a("r"), u("q2"), a("r2")};
  auto whole = conversation_hash(conv.begin(), conv.end());
  auto half = conversation_hash(conv.begin(), conv.begin() + 2);
  BOOST_TEST(conversation_hash(conv.begin() + 2, conv.end(), half) == whole);
  BOOST_TEST(conversation_hash(conv.begin(), conv.begin()) == empty_conversation_hash);
}

BOOST_AUTO_TEST_CASE(what_differs_hashes_apart_and_resends_hash_alike) {
  BOOST_TEST(message_hash(u("x")) != message_hash(a("x")));
  BOOST_TEST(message_hash(u("ab")) != message_hash(u("a")));
  BOOST_TEST(message_hash(call("c", "{\"a\": 1}")) == message_hash(call("c", "{\"a\":1}")));
  BOOST_TEST(message_hash(call("c", "{}")) != message_hash(call("d", "{}")));
  auto empty = a("");
  auto null = call("c", "{}");
  BOOST_TEST(message_hash(empty) != message_hash(null));  // tool calls count
  // Order matters.
  message_list ab{u("a"), u("b")}, ba{u("b"), u("a")};
  BOOST_TEST(conversation_hash(ab.begin(), ab.end()) != conversation_hash(ba.begin(), ba.end()));
}

BOOST_AUTO_TEST_CASE(candidates_end_with_the_model_longest_first) {
  message_list sent{{role::system, "sys"}, u("q1"), a("r1"), u("q2"), a("r2"), u("q3")};
  auto c = resend_candidates(sent, 1);
  BOOST_REQUIRE(c.size() == 2u);
  BOOST_TEST(c[0].length == 4u);
  BOOST_TEST(c[1].length == 2u);
  BOOST_TEST(c[0].hash == conversation_hash(sent.begin() + 1, sent.begin() + 5));
  BOOST_TEST(resend_candidates(message_list{u("only")}, 0).empty());
  message_list many;
  for (int i = 0; i < 100; ++i) many.insert(many.end(), {u("q"), a("r")});
  auto capped = resend_candidates(many, 0, 32);
  BOOST_TEST(capped.size() == 32u);
  BOOST_TEST(capped.front().length == 200u);
}

BOOST_AUTO_TEST_CASE(the_hash_is_stable_across_builds) {
  // Stored in databases: a change here strands every stored conversation.
  message_list conv{u("hello"), a("world")};
  BOOST_TEST(conversation_hash(conv.begin(), conv.end()) == 0x643fb700dd3aa98dull);
}
