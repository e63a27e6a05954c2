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
                   {role::user, "old question", 0},  // resent history: not new
                   {role::user, "new \"quoted\"\n", 0},
                   {role::assistant, "", 0}};
  auto history = std::make_shared<message_list>(message_list{
      {role::user, "h0", 0}, {role::assistant, "h1", 0}, {role::user, "h2", 0}});
  prompt p;
  p.system_prompt = "You are Troupe.";
  p.request = req;
  p.instructions_end = 1;
  p.new_begin = 2;
  p.history = history;
  p.window = {1, 3};
  return p;
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

BOOST_AUTO_TEST_CASE(every_sampling_param_is_forwarded) {
  std::shared_ptr<completion_request> req;
  auto p = sample_prompt(req);
  sampling_params s;
  s.temperature = 0.5;
  s.top_p = 0.25;
  s.presence_penalty = -1.5;
  s.frequency_penalty = 1;
  s.max_tokens = 77;
  s.seed = -42;
  s.stop = {"END", "\n\n"};
  s.user = "alice";
  auto d = parse_json(encode_upstream_request(p, s, {"m", false, false}));
  BOOST_TEST(d["temperature"].GetDouble() == 0.5);
  BOOST_TEST(d["top_p"].GetDouble() == 0.25);
  BOOST_TEST(d["presence_penalty"].GetDouble() == -1.5);
  BOOST_TEST(d["frequency_penalty"].GetDouble() == 1.0);
  BOOST_TEST(d["max_tokens"].GetInt64() == 77);
  BOOST_TEST(!d.HasMember("max_completion_tokens"));
  BOOST_TEST(d["seed"].GetInt64() == -42);
  BOOST_TEST(d["stop"].Size() == 2u);
  BOOST_TEST(std::string(d["stop"][1].GetString()) == "\n\n");
  BOOST_TEST(std::string(d["user"].GetString()) == "alice");

  s.max_completion_tokens = true;
  auto d2 = parse_json(encode_upstream_request(p, s, {"m", false, false}));
  BOOST_TEST(d2["max_completion_tokens"].GetInt64() == 77);
  BOOST_TEST(!d2.HasMember("max_tokens"));
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
