#define BOOST_TEST_MODULE agent_codec
#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include "domain/agents/agent_codec.hpp"
#include "domain/core/query_params.hpp"
#include "domain/agents/agent_patch.hpp"

using namespace troupe::domain;

namespace {

bool known(const std::string& n) { return n == "test"; }

agent_config create(const std::string& body, std::size_t limit = 65536) {
  return apply_agent_patch(parse_agent_patch(body, known), agent_config{}, true, limit);
}

std::string error_of(const std::string& body) {
  try {
    create(body);
  } catch (const api_error& e) {
    return std::to_string(e.status) + " " + e.param;
  }
  return "ok";
}

}  // namespace

BOOST_AUTO_TEST_CASE(create_with_defaults) {
  auto a = create(R"({"name":"A","template_id":"chat"})");
  BOOST_TEST(a.id.rfind("agent-", 0) == 0u);
  BOOST_TEST(a.template_version == "1.0.0");
  BOOST_TEST(a.conversation.continuous);
  BOOST_TEST(a.conversation.history_length == 50);
  BOOST_TEST((a.status == agent_status::active));
  BOOST_TEST(a.created_at_ms > 0);
}

BOOST_AUTO_TEST_CASE(create_with_everything) {
  auto a = create(R"({"id":"a1","name":"A","template_id":"simple-test","template_version_id":"2.0",
    "template_config":{"response_prefix":"Bot: "},"system_prompt":"s","description":"d",
    "avatar_url":"u","type":"t","conversation_config":{"continuous":false,"historyLength":5,
    "temperature":0.3,"max_tokens":9},"toolsets":["x"],"llm_config_id":"test","agent_line_id":"l",
    "version_type":"v","version_number":3,"owner_id":"o","status":"inactive"})");
  BOOST_TEST(a.id == "a1");
  BOOST_TEST(a.conversation.history_length == 5);
  BOOST_TEST(*a.conversation.max_tokens == 9);
  BOOST_TEST((a.status == agent_status::inactive));
  BOOST_TEST(a.version_number_json == "3");
  rapidjson::Document d;
  d.Parse(encode_agent(a).c_str());
  BOOST_TEST(std::string(d["configuration"]["template_config"]["response_prefix"].GetString()) ==
             "Bot: ");
  BOOST_TEST(d["configuration"]["conversation_config"]["historyLength"].GetInt() == 5);
  BOOST_TEST(std::string(d["created_at"].GetString()).back() == 'Z');
}

BOOST_AUTO_TEST_CASE(shape_errors_are_422) {
  BOOST_TEST(error_of(R"({"template_id":"chat"})") == "422 name");
  BOOST_TEST(error_of(R"({"name":"A"})") == "422 template_id");
  BOOST_TEST(error_of(R"({"name":"A","template_id":"chat","bogus":1})").substr(0, 3) == "422");
  BOOST_TEST(error_of(R"({"name":7,"template_id":"chat"})").substr(0, 3) == "422");
  BOOST_TEST(error_of(R"({"name":"A","template_id":"chat","conversation_config":{"x":1}})").substr(0, 3) ==
             "422");
  BOOST_TEST(error_of(R"({"name":"A","template_id":"chat","toolsets":[1]})").substr(0, 3) == "422");
}

BOOST_AUTO_TEST_CASE(value_errors_are_400) {
  BOOST_TEST(error_of(R"({"name":"  ","template_id":"chat"})").substr(0, 3) == "400");
  BOOST_TEST(error_of(R"({"name":")" + std::string(101, 'x') + R"(","template_id":"chat"})").substr(0, 3) == "400");
  BOOST_TEST(error_of(R"({"name":"A","template_id":"nope"})") ==
             "400 template_id");
  BOOST_TEST(error_of(R"({"name":"A","template_id":"chat","llm_config_id":"nope"})") ==
             "400 llm_config_id");
  BOOST_TEST(error_of(R"({"name":"A","template_id":"chat","conversation_config":{"historyLength":0}})")
                 .substr(0, 3) == "400");
  BOOST_TEST(error_of(R"({"name":"A","template_id":"chat","conversation_config":{"historyLength":1001}})")
                 .substr(0, 3) == "400");
  BOOST_TEST(error_of(R"({"name":"A","template_id":"chat","conversation_config":{"temperature":3}})")
                 .substr(0, 3) == "400");
  BOOST_TEST(error_of(R"({"name":"A","template_id":"chat","template_config":{"response_prefix":")" +
                      std::string(51, 'x') + R"("}})") ==
             "400 template_config.response_prefix");
  BOOST_TEST(error_of(R"({"name":"A","template_id":"chat","template_config":{"other":1}})") ==
             "400 template_config.other");
  BOOST_TEST(error_of(R"({"id":"has space","name":"A","template_id":"chat"})").substr(0, 3) == "400");
  BOOST_TEST(error_of(R"({"name":"A","template_id":"chat","status":"sleeping"})").substr(0, 3) == "400");
}

BOOST_AUTO_TEST_CASE(size_limit) {
  auto body = R"({"name":"A","template_id":"chat","system_prompt":")" + std::string(2000, 'x') + "\"}";
  BOOST_CHECK_NO_THROW(create(body, 4096));
  try {
    create(body, 1024);
    BOOST_FAIL("expected a 400");
  } catch (const api_error& e) {
    BOOST_TEST(e.status == 400);
  }
}

BOOST_AUTO_TEST_CASE(update_merges_and_revalidates) {
  auto a = create(R"({"id":"a1","name":"A","template_id":"chat","conversation_config":{"historyLength":5}})");
  auto b = apply_agent_patch(parse_agent_patch(R"({"conversation_config":{"continuous":false}})", known),
                             a, false, 65536);
  BOOST_TEST(b.conversation.history_length == 5);
  BOOST_TEST(!b.conversation.continuous);
  BOOST_TEST(b.created_at_ms == a.created_at_ms);
  BOOST_TEST(b.updated_at_ms >= a.updated_at_ms);
  BOOST_CHECK_THROW(apply_agent_patch(parse_agent_patch(R"({"id":"other"})", known), a, false, 65536),
                    api_error);
}

BOOST_AUTO_TEST_CASE(status_body) {
  BOOST_TEST(to_string(parse_status_body(R"({"status":"inactive"})")) == "inactive");
  BOOST_CHECK_THROW(parse_status_body(R"({})"), api_error);
  BOOST_CHECK_THROW(parse_status_body(R"({"status":"x"})"), api_error);
  BOOST_CHECK_THROW(parse_status_body(R"({"status":"active","x":1})"), api_error);
}

BOOST_AUTO_TEST_CASE(query_values) {
  BOOST_TEST(parse_limit("5", "limit") == 5);
  BOOST_CHECK_THROW(parse_limit("0", "limit"), api_error);
  BOOST_CHECK_THROW(parse_limit("x", "limit"), api_error);
  BOOST_CHECK_THROW(parse_offset("-1", "offset"), api_error);
  BOOST_TEST(parse_offset("0", "offset") == 0);
}
