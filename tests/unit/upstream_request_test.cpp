#define BOOST_TEST_MODULE upstream_request
#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include "domain/upstream/upstream_request.hpp"
#include "json_support.hpp"

using namespace troupe::domain;
using troupe::testing::parse_json;

namespace {

// system prompt, one instruction, a 3-message history windowed to its last 2, two new messages.
prompt sample_prompt(std::shared_ptr<completion_request>& req) {
  req = std::make_shared<completion_request>();
  req->messages = {{role::system, "be brief", 0},
                   {role::user, "new \"quoted\"\n", 0},
                   {role::assistant, "", 0}};
  auto history = std::make_shared<message_list>(message_list{
      {role::user, "h0", 0}, {role::assistant, "h1", 0}, {role::user, "h2", 0}});
  prompt p;
  p.system_prompt.content = "You are Troupe.";
  p.request = req;
  p.instructions_end = 1;
  p.new_begin = 1;
  p.history = history;
  p.window.ranges = {{1, 3}};
  return p;
}

prompt parsed_prompt(const std::string& body, std::shared_ptr<completion_request>& req) {
  req = std::make_shared<completion_request>(parse_completion_request(body));
  prompt p;
  p.request = req;
  p.history = std::make_shared<message_list>();
  return p;
}

std::vector<std::string> keys_of(const rapidjson::Document& d) {
  std::vector<std::string> out;
  for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) out.emplace_back(it->name.GetString());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(messages_in_model_order) {
  std::shared_ptr<completion_request> req;
  auto p = sample_prompt(req);
  auto d = parse_json(encode_upstream_request(p, {}, {"gpt-x", false, false}));
  BOOST_TEST(std::string(d["model"].GetString()) == "gpt-x");
  auto& m = d["messages"];
  std::vector<std::string> got;
  for (auto& x : m.GetArray())
    got.push_back(std::string(x["role"].GetString()) + ": " + x["content"].GetString());
  std::vector<std::string> want = {"system: You are Troupe.", "system: be brief", "assistant: h1",
                                   "user: h2", "user: new \"quoted\"\n", "assistant: "};
  BOOST_TEST(got == want, boost::test_tools::per_element());
  // Nothing that was not asked for.
  for (auto key : {"stream", "stream_options", "temperature", "max_tokens", "stop", "user", "seed"})
    BOOST_TEST(!d.HasMember(key), key);
}

BOOST_AUTO_TEST_CASE(every_field_goes_upstream_as_received_and_in_order) {
  std::shared_ptr<completion_request> req;
  auto p = parsed_prompt(
      R"({"model":"agent","top_k":40,"temperature":0.7,"messages":[{"role":"user","content":"hi"}],)"
      R"("logprobs":true,"top_logprobs":2,"tools":[{"type":"function","function":{"name":"f",)"
      R"("parameters":{"type":"object","properties":{}},"strict":true}}],"tool_choice":"auto",)"
      R"("parallel_tool_calls":false,"response_format":{"type":"json_object"},"seed":-42,)"
      R"("stop":["END","\n\n"],"user":"alice","max_completion_tokens":77,"n":2,)"
      R"("chat_template_kwargs":{"enable_thinking":false},"reasoning_effort":"low",)"
      R"("metadata":{"session_id":"s1","user_id":"u","task_id":"s1","trace":"t-9"},)"
      R"("stream":true,"stream_options":{"include_usage":true,"include_obfuscation":false}})",
      req);
  auto d = parse_json(encode_upstream_request(p, {}, {"m", true, true}));
  std::vector<std::string> want{"model", "messages", "top_k", "temperature", "logprobs",
                                "top_logprobs", "tools", "tool_choice", "parallel_tool_calls",
                                "response_format", "seed", "stop", "user",
                                "max_completion_tokens", "n", "chat_template_kwargs",
                                "reasoning_effort", "metadata", "stream", "stream_options"};
  BOOST_TEST(keys_of(d) == want, boost::test_tools::per_element());
  BOOST_TEST(d["temperature"].GetDouble() == 0.7);
  BOOST_TEST(d["top_k"].GetInt() == 40);
  BOOST_TEST(d["tools"][0]["function"]["strict"].GetBool());
  BOOST_TEST(d["seed"].GetInt64() == -42);
  BOOST_TEST(std::string(d["stop"][1].GetString()) == "\n\n");
  BOOST_TEST(!d["chat_template_kwargs"]["enable_thinking"].GetBool());
  // Troupe's own metadata keys stay here; the client's go on.
  BOOST_TEST(d["metadata"].MemberCount() == 1u);
  BOOST_TEST(std::string(d["metadata"]["trace"].GetString()) == "t-9");
  BOOST_TEST(d["stream_options"]["include_usage"].GetBool());
  BOOST_TEST(!d["stream_options"]["include_obfuscation"].GetBool());
}

BOOST_AUTO_TEST_CASE(agent_defaults_only_where_the_request_has_none) {
  std::shared_ptr<completion_request> req;
  auto p = parsed_prompt(R"({"model":"a","messages":[{"role":"user","content":"x"}],"temperature":0.2})",
                         req);
  sampling_params defaults;
  defaults.temperature = 0.9;
  defaults.max_tokens = 64;
  auto d = parse_json(encode_upstream_request(p, defaults, {"m", false, false}));
  BOOST_TEST(d["temperature"].GetDouble() == 0.2);
  BOOST_TEST(d["max_tokens"].GetInt64() == 64);
}

BOOST_AUTO_TEST_CASE(legacy_functions_go_up_as_tools) {
  std::shared_ptr<completion_request> req;
  auto p = parsed_prompt(
      R"({"model":"a","messages":[{"role":"user","content":"x"},)"
      R"({"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}},)"
      R"({"role":"function","name":"f","content":"42"}],)"
      R"("functions":[{"name":"f","parameters":{"type":"object"}}],"function_call":{"name":"f"}})",
      req);
  BOOST_TEST(req->legacy_functions);
  auto d = parse_json(encode_upstream_request(p, {}, {"m", false, false}));
  BOOST_TEST(std::string(d["tools"][0]["type"].GetString()) == "function");
  BOOST_TEST(std::string(d["tools"][0]["function"]["name"].GetString()) == "f");
  BOOST_TEST(std::string(d["tool_choice"]["function"]["name"].GetString()) == "f");
  BOOST_TEST(!d.HasMember("functions"));
  auto& call = d["messages"][1]["tool_calls"][0];
  auto& result = d["messages"][2];
  BOOST_TEST(std::string(result["role"].GetString()) == "tool");
  BOOST_TEST(std::string(result["tool_call_id"].GetString()) == call["id"].GetString());
  BOOST_TEST(!result.HasMember("name"));
}

BOOST_AUTO_TEST_CASE(stream_flags) {
  std::shared_ptr<completion_request> req;
  auto p = sample_prompt(req);
  auto plain = parse_json(encode_upstream_request(p, {}, {"m", true, false}));
  BOOST_TEST(plain["stream"].GetBool());
  BOOST_TEST(!plain.HasMember("stream_options"));
  auto usage = parse_json(encode_upstream_request(p, {}, {"m", true, true}));
  BOOST_TEST(usage["stream_options"]["include_usage"].GetBool());
}

BOOST_AUTO_TEST_CASE(no_system_prompt_no_history) {
  auto req = std::make_shared<completion_request>();
  req->messages = {{role::user, "only", 0}};
  prompt p;
  p.request = req;
  p.history = std::make_shared<message_list>();
  auto d = parse_json(encode_upstream_request(p, {}, {"m", false, false}));
  BOOST_TEST(d["messages"].Size() == 1u);
  BOOST_TEST(std::string(d["messages"][0]["role"].GetString()) == "user");
}
