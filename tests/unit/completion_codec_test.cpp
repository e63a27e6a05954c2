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

completion_result text_result(std::string text, std::string finish, usage u) {
  completion_result r;
  r.first().message.content = std::move(text);
  r.first().finish_reason = std::move(finish);
  r.tokens = u;
  return r;
}

// An assistant reply that only calls tools.
completion_result tool_result() {
  completion_result r;
  auto& m = r.first().message;
  m.kind = content_kind::null;
  message_extra x;
  x.tool_calls = {{"call_1", "get_weather", R"({"city":"Paris"})"}};
  x.other = {{"annotations", "[]"}};
  m.extra = std::make_shared<const message_extra>(std::move(x));
  r.first().finish_reason = "tool_calls";
  r.first().logprobs_json = R"({"content":[]})";
  r.usage_json = R"({"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0}})";
  r.system_fingerprint = "fp_1";
  return r;
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

BOOST_AUTO_TEST_CASE(a_content_frame_gives_the_same_bytes_as_the_whole_chunk) {
  auto m = meta();
  m.user_id = "u \"delta\":{\"content\":\"\"}";  // the cut, inside a value
  m.system_fingerprint = "fp_1";
  m.node_id = "n1";
  for (auto* text : {"", "Hello", "say \"hi\"\n\x01", "\xc3\xa9t\xc3\xa9"}) {
    BOOST_TEST(sse_content_frame(m).with(text) == sse_content_chunk(m, text));
    BOOST_TEST(sse_content_frame(m, 2).with(text) == sse_content_chunk(m, text, 2));
  }
}

BOOST_AUTO_TEST_CASE(finish_chunk_has_empty_delta) {
  auto d = event_json(sse_finish_chunk(meta(), text_result("", "length", {})));
  BOOST_TEST(d["choices"][0]["delta"].ObjectEmpty());
  BOOST_TEST(std::string(d["choices"][0]["finish_reason"].GetString()) == "length");
}

BOOST_AUTO_TEST_CASE(usage_chunk_has_no_choices) {
  auto d = event_json(sse_usage_chunk(meta(), text_result("", "stop", usage{3, 5})));
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
  d.Parse(encode_completion(meta(), text_result("hello", "stop", usage{2, 1})).c_str());
  BOOST_TEST(std::string(d["object"].GetString()) == "chat.completion");
  BOOST_TEST(std::string(d["choices"][0]["message"]["content"].GetString()) == "hello");
  BOOST_TEST(d["choices"][0]["message"]["refusal"].IsNull());
  BOOST_TEST(!d["choices"][0]["message"].HasMember("tool_calls"));
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

BOOST_AUTO_TEST_CASE(tool_calls_reply_as_openai_shapes_it) {
  auto d = troupe::testing::parse_json(encode_completion(meta(), tool_result()));
  auto& c = d["choices"][0];
  BOOST_TEST(c["message"]["content"].IsNull());
  BOOST_TEST(c["message"]["refusal"].IsNull());
  auto& call = c["message"]["tool_calls"][0];
  BOOST_TEST(std::string(call["id"].GetString()) == "call_1");
  BOOST_TEST(std::string(call["type"].GetString()) == "function");
  BOOST_TEST(std::string(call["function"]["name"].GetString()) == "get_weather");
  BOOST_TEST(std::string(call["function"]["arguments"].GetString()) == R"({"city":"Paris"})");
  BOOST_TEST(c["message"]["annotations"].IsArray());
  BOOST_TEST(std::string(c["finish_reason"].GetString()) == "tool_calls");
  BOOST_TEST(c["logprobs"]["content"].IsArray());
  BOOST_TEST(d["usage"]["prompt_tokens_details"]["cached_tokens"].GetInt() == 0);
  BOOST_TEST(std::string(d["system_fingerprint"].GetString()) == "fp_1");
}

BOOST_AUTO_TEST_CASE(legacy_clients_get_function_call) {
  auto m = meta();
  m.legacy_functions = true;
  auto d = troupe::testing::parse_json(encode_completion(m, tool_result()));
  auto& c = d["choices"][0];
  BOOST_TEST(!c["message"].HasMember("tool_calls"));
  BOOST_TEST(std::string(c["message"]["function_call"]["name"].GetString()) == "get_weather");
  BOOST_TEST(std::string(c["finish_reason"].GetString()) == "function_call");
}

BOOST_AUTO_TEST_CASE(relayed_pieces_keep_the_delta_but_its_role) {
  auto delta = troupe::testing::parse_json(
      R"({"role":"assistant","tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}],"reasoning_content":"hm"})");
  auto logprobs = troupe::testing::parse_json(R"({"content":[{"token":"a","logprob":-0.1}]})");
  stream_piece p;
  p.index = 1;
  p.delta = &delta;
  p.logprobs = &logprobs;
  BOOST_TEST(worth_relaying(p));
  auto d = event_json(sse_piece_chunk(meta(), p));
  auto& c = d["choices"][0];
  BOOST_TEST(c["index"].GetInt() == 1);
  BOOST_TEST(!c["delta"].HasMember("role"));
  BOOST_TEST(std::string(c["delta"]["tool_calls"][0]["function"]["arguments"].GetString()) == "{\"ci");
  BOOST_TEST(std::string(c["delta"]["reasoning_content"].GetString()) == "hm");
  BOOST_TEST(c["logprobs"]["content"][0]["logprob"].GetDouble() == -0.1);

  auto empty = troupe::testing::parse_json(R"({"role":"assistant","content":""})");
  stream_piece nothing;
  nothing.delta = &empty;
  BOOST_TEST(!worth_relaying(nothing));
}

BOOST_AUTO_TEST_CASE(finish_chunk_names_every_choice) {
  auto r = text_result("x", "stop", {});
  r.choices.push_back(r.first());
  r.choices.back().index = 1;
  r.choices.back().finish_reason = "length";
  auto d = event_json(sse_finish_chunk(meta(), r));
  BOOST_TEST(d["choices"].Size() == 2u);
  BOOST_TEST(std::string(d["choices"][1]["finish_reason"].GetString()) == "length");
}
