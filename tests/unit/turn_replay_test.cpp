#define BOOST_TEST_MODULE turn_replay
#include <boost/test/unit_test.hpp>

#include "domain/core/api_error.hpp"
#include "domain/openai/turn_replay.hpp"
#include "domain/upstream/upstream_reply.hpp"

using namespace troupe;

namespace {

domain::completion_result parsed(const std::string& body) {
  std::string error;
  auto r = domain::parse_upstream_completion(body, error);
  BOOST_REQUIRE_MESSAGE(r.has_value(), error);
  return *r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_answer_with_text_tool_calls_and_usage_comes_back_whole) {
  auto r = parsed(R"({"id":"x","object":"chat.completion","created":1,"model":"m",
    "system_fingerprint":"fp_1","service_tier":"default",
    "choices":[{"index":0,"message":{"role":"assistant","content":"Let me look.",
      "tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"x\"}"}}]},
      "logprobs":null,"finish_reason":"tool_calls"},
     {"index":1,"message":{"role":"assistant","content":"Other"},"logprobs":{"content":[]},"finish_reason":"stop"}],
    "usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}})");
  r.server_calls.push_back({"call_9", "calculator", R"({"expr":"1+1"})", "done", 12});
  auto stored = domain::encode_replay(r, "openai-main");
  auto back = domain::decode_replay(stored);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->provider == "openai-main");
  auto& out = back->result;
  BOOST_REQUIRE(out.choices.size() == 2u);
  BOOST_TEST(out.first().message.content == "Let me look.");
  BOOST_REQUIRE(out.first().message.tool_calls().size() == 1u);
  BOOST_TEST(out.first().message.tool_calls()[0].id == "call_1");
  BOOST_TEST(out.first().message.tool_calls()[0].name == "lookup");
  BOOST_TEST(out.first().message.tool_calls()[0].arguments == R"({"q":"x"})");
  BOOST_TEST(out.first().finish_reason == "tool_calls");
  BOOST_TEST(out.choices[1].message.content == "Other");
  BOOST_TEST(out.choices[1].logprobs_json == R"({"content":[]})");
  BOOST_TEST(out.tokens.prompt_tokens == 7);
  BOOST_TEST(out.tokens.completion_tokens == 3);
  BOOST_TEST(out.system_fingerprint == "fp_1");
  BOOST_TEST(out.service_tier == "default");
  BOOST_REQUIRE(out.server_calls.size() == 1u);  // the agent's own tool run
  BOOST_TEST(out.server_calls[0].call_id == "call_9");
  BOOST_TEST(out.server_calls[0].name == "calculator");
  BOOST_TEST(out.server_calls[0].arguments == R"({"expr":"1+1"})");
  BOOST_TEST(out.server_calls[0].status == "done");
  BOOST_TEST(out.server_calls[0].duration_ms == 12);
}

BOOST_AUTO_TEST_CASE(what_is_not_a_stored_answer_reads_as_none) {
  BOOST_TEST(!domain::decode_replay("not json"));
  BOOST_TEST(!domain::decode_replay(R"({"choices":"no"})"));
}

BOOST_AUTO_TEST_CASE(keys_are_visible_ascii_of_at_most_255_characters) {
  for (std::string ok : {std::string("a"), std::string("req-123_ABC:/.=+"), std::string(255, 'k')})
    BOOST_CHECK_NO_THROW(domain::check_idempotency_key(ok));
  for (std::string bad : {std::string(), std::string(256, 'k'), std::string("a b"),
                          std::string("caf\xc3\xa9"), std::string("tab\there")}) {
    try {
      domain::check_idempotency_key(bad);
      BOOST_ERROR("accepted '" + bad + "'");
    } catch (const domain::api_error& e) {
      BOOST_TEST(e.status == 400);
      BOOST_TEST(e.param == "Idempotency-Key");
    }
  }
}

BOOST_AUTO_TEST_CASE(a_retry_hashes_like_its_first_request_and_another_body_does_not) {
  BOOST_TEST(domain::request_hash(R"({"a":1})") == domain::request_hash(R"({"a":1})"));
  BOOST_TEST(domain::request_hash(R"({"a":1})") != domain::request_hash(R"({"a":2})"));
}
