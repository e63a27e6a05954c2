#define BOOST_TEST_MODULE completion_request
#include <boost/test/unit_test.hpp>

#include "domain/openai/completion_request.hpp"

using namespace troupe::domain;

namespace {
// Status and param of the error parsing `body` raises; {0,""} when it parses.
std::string error_of(const std::string& body) {
  try {
    parse_completion_request(body);
  } catch (const api_error& e) {
    return std::to_string(e.status) + " " + e.param;
  }
  return "ok";
}
const std::string msgs = R"("messages":[{"role":"user","content":"hi"}])";
}  // namespace

BOOST_AUTO_TEST_CASE(minimal_request) {
  auto r = parse_completion_request(R"({"model":"demo",)" + msgs + "}");
  BOOST_TEST(r.model == "demo");
  BOOST_TEST(r.messages.size() == 1u);
  BOOST_TEST(r.messages[0].content == "hi");
  BOOST_TEST(!r.stream);
  BOOST_TEST(r.session_id_generated);
  BOOST_TEST(r.session_id.rfind("sess-", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(full_request) {
  auto r = parse_completion_request(
      R"({"model":"demo",)" + msgs +
      R"(,"temperature":0.5,"top_p":1,"max_completion_tokens":7,"stop":"x","presence_penalty":-2,)"
      R"("frequency_penalty":2,"n":1,"stream":true,"stream_options":{"include_usage":true},)"
      R"("user":"u","seed":3,"logprobs":false,"response_format":{"type":"text"},)"
      R"("metadata":{"session_id":"s-1","user_id":"alice","other":"x"}})");
  BOOST_TEST(*r.params.temperature == 0.5);
  BOOST_TEST(*r.params.max_tokens == 7);
  BOOST_TEST(r.params.stop.size() == 1u);
  BOOST_TEST(r.stream);
  BOOST_TEST(r.include_usage);
  BOOST_TEST(r.session_id == "s-1");
  BOOST_TEST(!r.session_id_generated);
  BOOST_TEST(r.user_id == "alice");
}

BOOST_AUTO_TEST_CASE(task_id_names_the_session) {
  auto r = parse_completion_request(R"({"model":"demo",)" + msgs + R"(,"metadata":{"task_id":"t9"}})");
  BOOST_TEST(r.session_id == "t9");
}

BOOST_AUTO_TEST_CASE(content_parts_are_joined) {
  auto r = parse_completion_request(
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]})");
  BOOST_TEST(r.messages[0].content == "a\nb");
}

BOOST_AUTO_TEST_CASE(shape_errors_are_422) {
  BOOST_TEST(error_of(R"({"messages":[{"role":"user","content":"hi"}]})").substr(0, 3) == "422");
  BOOST_TEST(error_of(R"({"model":"m"})").substr(0, 3) == "422");
  BOOST_TEST(error_of(R"({"model":3,)" + msgs + "}").substr(0, 3) == "422");
  BOOST_TEST(error_of(R"({"model":"m","messages":[{"content":"hi"}]})").substr(0, 3) == "422");
  BOOST_TEST(error_of(R"({"model":"m","messages":[{"role":"user","content":5}]})").substr(0, 3) == "422");
  BOOST_TEST(error_of(R"({"model":"m",)" + msgs + R"(,"temperature":"hot"})").substr(0, 3) == "422");
  BOOST_TEST(error_of(R"([1,2])").substr(0, 3) == "422");
}

BOOST_AUTO_TEST_CASE(value_errors_are_400) {
  BOOST_TEST(error_of(R"({"model":"m","messages":[]})").substr(0, 3) == "400");
  BOOST_TEST(error_of(R"({"model":"m","messages":[{"role":"robot","content":"x"}]})").substr(0, 3) == "400");
  BOOST_TEST(error_of(R"({"model":"m",)" + msgs + R"(,"temperature":2.5})") ==
             "400 temperature");
  BOOST_TEST(error_of(R"({"model":"m",)" + msgs + R"(,"top_p":1.1})").substr(0, 3) == "400");
  BOOST_TEST(error_of(R"({"model":"m",)" + msgs + R"(,"max_tokens":0})").substr(0, 3) == "400");
  BOOST_TEST(error_of(R"({"model":"m",)" + msgs + R"(,"presence_penalty":-3})").substr(0, 3) == "400");
  BOOST_TEST(error_of(R"({"model":"m",)" + msgs + R"(,"n":0})") == "400 n");
  BOOST_TEST(error_of(R"({"model":"m",)" + msgs + R"(,"n":129})") == "400 n");
  BOOST_TEST(error_of(R"({"model":"m",)" + msgs + R"(,"metadata":{"session_id":"a b"}})").substr(0, 3) == "400");
}

BOOST_AUTO_TEST_CASE(nesting_is_limited_outside_strings_only) {
  auto nested = [](int depth) {
    return R"({"model":"m",)" + msgs + R"(,"metadata":{"x":")" + std::string(500, '[') + R"("},"x_extension":)" +
           std::string(depth, '[') + std::string(depth, ']') + "}";
  };
  BOOST_TEST(error_of(nested(120)) == "ok");  // brackets inside strings do not count
  BOOST_TEST(error_of(nested(130)) == "400 ");
}

BOOST_AUTO_TEST_CASE(malformed_json_and_bad_utf8_are_400) {
  BOOST_TEST(error_of("{").substr(0, 3) == "400");
  BOOST_TEST(error_of(R"({"model":"m"} trailing)").substr(0, 3) == "400");
  BOOST_TEST(error_of("{\"model\":\"\xff\xfe\"}").substr(0, 3) == "400");
  BOOST_TEST(error_of(std::string(200000, '[')).substr(0, 3) == "400");  // no stack overflow
}
