#define BOOST_TEST_MODULE message_codec
#include <boost/test/unit_test.hpp>

#include "domain/openai/completion_codec.hpp"
#include "domain/openai/message_codec.hpp"
#include "json_support.hpp"

using namespace troupe::domain;

namespace {

message_list read(const std::string& json) {
  auto d = troupe::testing::parse_json(json);
  return read_messages(d);
}

std::string error_of(const std::string& json) {
  try {
    read(json);
  } catch (const api_error& e) {
    return std::to_string(e.status) + " " + e.param;
  }
  return "ok";
}

// Every field and part OpenAI defines, in the order OpenAI writes them.
const char* const everything = R"([
  {"role":"system","content":"rules","name":"ops"},
  {"role":"user","content":[{"type":"text","text":"see"},
    {"type":"image_url","image_url":{"url":"https://x.test/a.png","detail":"high"}},
    {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},
    {"type":"input_audio","input_audio":{"data":"UklG","format":"mp3"}},
    {"type":"file","file":{"file_id":"file-1"}}],"name":"ann"},
  {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",
    "function":{"name":"f","arguments":"{\"a\": 1}"}}],"audio":{"id":"au_1"}},
  {"role":"tool","content":[{"type":"text","text":"42"}],"tool_call_id":"c1"},
  {"role":"assistant","content":[{"type":"text","text":"done"},{"type":"refusal","refusal":"no"}],
    "refusal":"partly"}])";

}  // namespace

BOOST_AUTO_TEST_CASE(every_part_and_field_round_trips) {
  auto msgs = read(everything);
  BOOST_REQUIRE(msgs.size() == 5u);
  BOOST_TEST(msgs[0].plain() == false);  // a name
  BOOST_TEST((msgs[1].kind == content_kind::parts));
  BOOST_TEST(msgs[1].content == "see");  // the text parts, for word counts
  BOOST_TEST((msgs[2].kind == content_kind::null));
  BOOST_TEST(msgs[2].tool_calls()[0].arguments == "{\"a\": 1}");
  BOOST_TEST(msgs[3].tool_call_id() == "c1");
  // Wire → storage → wire: the same JSON, and the same messages.
  for (auto& m : msgs) {
    auto stored = encode_message(m);
    auto back = decode_message(stored);
    BOOST_TEST(back.same_as(m));
    BOOST_TEST(encode_message(back) == stored);
  }
  json_out out;
  out.w.StartArray();
  for (auto& m : msgs) write_message(out.w, m);
  out.w.EndArray();
  auto original = troupe::testing::parse_json(everything);
  auto written = troupe::testing::parse_json(out.str());
  BOOST_TEST((written == original), out.str());
}

BOOST_AUTO_TEST_CASE(unmodelled_fields_are_kept_in_order) {
  auto msgs = read(R"([{"role":"assistant","content":"x","reasoning_content":"hm","x_b":[1]}])");
  json_out out;
  write_message(out.w, msgs[0]);
  BOOST_TEST(out.str() == R"({"role":"assistant","content":"x","reasoning_content":"hm","x_b":[1]})");
}

BOOST_AUTO_TEST_CASE(legacy_function_messages_become_tool_messages) {
  auto msgs = read(R"([{"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}},
                        {"role":"function","name":"f","content":"r"}])");
  BOOST_TEST((msgs[1].role == role::tool));
  BOOST_TEST(msgs[1].tool_call_id() == msgs[0].tool_calls()[0].id);
  BOOST_TEST(msgs[1].name().empty());
  BOOST_TEST(msgs[0].tool_calls()[0].id == legacy_call_id("f"));
}

BOOST_AUTO_TEST_CASE(nulls_are_absent_and_arguments_compare_as_json) {
  auto a = read(R"([{"role":"assistant","content":null,"refusal":null,"name":null,"tool_calls":[
                      {"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\": 1, \"b\": [2]}"}}]}])");
  auto b = read(R"([{"role":"assistant","content":"","tool_calls":[
                      {"id":"c","function":{"name":"f","arguments":"{\"a\":1,\"b\":[2]}"}}]}])");
  BOOST_TEST(a[0].same_as(b[0]));
  auto c = read(R"([{"role":"assistant","tool_calls":[
                      {"id":"c","function":{"name":"f","arguments":"{\"a\":2,\"b\":[2]}"}}]}])");
  BOOST_TEST(!a[0].same_as(c[0]));
}

BOOST_AUTO_TEST_CASE(bad_messages_name_the_field) {
  BOOST_TEST(error_of(R"([{"role":"tool","content":"x"}])") == "400 messages[0].tool_call_id");
  BOOST_TEST(error_of(R"([{"role":"user","content":null}])") == "422 messages[0].content");
  BOOST_TEST(error_of(R"([{"role":"user"}])") == "422 messages[0].content");
  BOOST_TEST(error_of(R"([{"role":"user","content":"x","tool_calls":[{"id":"c","function":{"name":"f","arguments":""}}]}])") ==
             "400 messages[0].tool_calls");
  BOOST_TEST(error_of(R"([{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":""}}]}])") ==
             "422 messages[0].tool_calls[0].id");
  BOOST_TEST(error_of(R"([{"role":"assistant","tool_calls":[{"id":"c","type":"custom","custom":{}}]}])") ==
             "400 messages[0].tool_calls[0].type");
  BOOST_TEST(error_of(R"([{"role":"user","content":[{"type":"image_url"}]}])") ==
             "422 messages[0].content[0].image_url");
  BOOST_TEST(error_of(R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":"u","detail":"max"}}]}])") ==
             "400 messages[0].content[0].image_url.detail");
  BOOST_TEST(error_of(R"([{"role":"user","content":[{"text":"x"}]}])") == "422 messages[0].content[0].type");
  BOOST_TEST(error_of(R"([{"role":"function","content":"x"}])") == "422 messages[0].name");
  BOOST_TEST(error_of(R"([{"role":"robot","content":"x"}])") == "400 messages[0].role");
  BOOST_TEST(error_of(R"([{"role":"user","content":"x","name":5}])") == "422 messages[0].name");
}

BOOST_AUTO_TEST_CASE(function_names) {
  BOOST_TEST(valid_function_name("get_weather-2"));
  BOOST_TEST(!valid_function_name(""));
  BOOST_TEST(!valid_function_name("a b"));
  BOOST_TEST(!valid_function_name(std::string(65, 'a')));
  BOOST_TEST(valid_function_name(std::string(64, 'a')));
}

// Counted once when read, so that a turn does not recount its history.
BOOST_AUTO_TEST_CASE(messages_know_their_word_count) {
  auto m = read(R"([{"role":"user","content":"  hello big\nworld "},
                   {"role":"user","content":[{"type":"text","text":"one two"},{"type":"text","text":"three"}]},
                   {"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}])");
  BOOST_TEST(m[0].words == 3);
  BOOST_TEST(m[1].words == count_words(m[1].content));
  BOOST_TEST(m[2].words == 0);
  for (auto& x : m) BOOST_TEST(words_of(x) == count_words(x.content));
  chat_message uncounted{role::user, "a b c d"};
  BOOST_TEST(uncounted.words == -1);
  BOOST_TEST(words_of(uncounted) == 4);
}
