#define BOOST_TEST_MODULE completion_codec
#include <boost/test/unit_test.hpp>


#include "domain/openai/completion_codec.hpp"
#include "json_support.hpp"

using namespace troupe::domain;

namespace {

completion_meta meta() {
  completion_meta m;
  m.id = "chatcmpl-1";
  m.created = 1700000000;
  m.model = "demo";
  m.session_id = "s1";
  m.message_id = "msg-1";
  return m;
}

// Checks the SSE framing and returns the event's JSON.
rapidjson::Document event_json(const std::string& event) {
  BOOST_REQUIRE(event.rfind("data: ", 0) == 0);
  BOOST_REQUIRE(event.size() > 8 && event.substr(event.size() - 2) == "\n\n");
  auto d = troupe::testing::parse_json(event.substr(6, event.size() - 8));
  BOOST_TEST(std::string(d["id"].GetString()) == "chatcmpl-1");
  BOOST_TEST(std::string(d["object"].GetString()) == "chat.completion.chunk");
  BOOST_TEST(d["created"].GetInt64() == 1700000000);
  BOOST_TEST(std::string(d["metadata"]["session_id"].GetString()) == "s1");
  return d;
}

}  // namespace

BOOST_AUTO_TEST_CASE(role_chunk_opens_the_stream) {
  auto d = event_json(sse_role_chunk(meta()));
  auto& delta = d["choices"][0]["delta"];
  BOOST_TEST(std::string(delta["role"].GetString()) == "assistant");
  BOOST_TEST(std::string(delta["content"].GetString()) == "");
  BOOST_TEST(d["choices"][0]["finish_reason"].IsNull());
}

BOOST_AUTO_TEST_CASE(content_chunk_escapes_text) {
  auto d = event_json(sse_content_chunk(meta(), "say \"hi\"\n\x01"));
  BOOST_TEST(std::string(d["choices"][0]["delta"]["content"].GetString()) == "say \"hi\"\n\x01");
}

BOOST_AUTO_TEST_CASE(finish_chunk_has_empty_delta) {
  auto d = event_json(sse_finish_chunk(meta(), "length"));
  BOOST_TEST(d["choices"][0]["delta"].ObjectEmpty());
  BOOST_TEST(std::string(d["choices"][0]["finish_reason"].GetString()) == "length");
}

BOOST_AUTO_TEST_CASE(usage_chunk_has_no_choices) {
  auto d = event_json(sse_usage_chunk(meta(), usage{3, 5}));
  BOOST_TEST(d["choices"].Empty());
  BOOST_TEST(d["usage"]["total_tokens"].GetInt64() == 8);
}

BOOST_AUTO_TEST_CASE(error_chunk_finishes_with_error) {
  auto d = event_json(sse_error_chunk(meta(), gateway_timeout("slow")));
  BOOST_TEST(std::string(d["choices"][0]["finish_reason"].GetString()) == "error");
  BOOST_TEST(std::string(d["error"]["message"].GetString()) == "slow");
  BOOST_TEST(std::string(d["error"]["code"].GetString()) == "timeout");
}

BOOST_AUTO_TEST_CASE(done_marker) { BOOST_TEST(std::string(sse_done) == "data: [DONE]\n\n"); }

BOOST_AUTO_TEST_CASE(non_stream_completion) {
  rapidjson::Document d;
  d.Parse(encode_completion(meta(), "hello", "stop", usage{2, 1}).c_str());
  BOOST_TEST(std::string(d["object"].GetString()) == "chat.completion");
  BOOST_TEST(std::string(d["choices"][0]["message"]["content"].GetString()) == "hello");
  BOOST_TEST(std::string(d["choices"][0]["message"]["role"].GetString()) == "assistant");
  BOOST_TEST(d["usage"]["prompt_tokens"].GetInt64() == 2);
  BOOST_TEST(d["metadata"]["user_id"].IsNull());
  BOOST_TEST(std::string(d["metadata"]["agent_id"].GetString()) == "demo");
}

BOOST_AUTO_TEST_CASE(error_envelope) {
  rapidjson::Document d;
  d.Parse(encode_error(bad_request("bad", "temperature")).c_str());
  BOOST_TEST(std::string(d["error"]["message"].GetString()) == "bad");
  BOOST_TEST(std::string(d["error"]["param"].GetString()) == "temperature");
  BOOST_TEST(std::string(d["error"]["type"].GetString()) == "invalid_request_error");
  BOOST_TEST(std::string(d["detail"].GetString()) == "bad");
  d.Parse(encode_error(internal_error("x")).c_str());
  BOOST_TEST(d["error"]["param"].IsNull());
}

BOOST_AUTO_TEST_CASE(words_are_counted) {
  BOOST_TEST(count_words("Test response from mock LLM") == 5);
  BOOST_TEST(count_words("  a\n b  ") == 2);
  BOOST_TEST(count_words("") == 0);
}
