#define BOOST_TEST_MODULE scripted_reply
#include <boost/test/unit_test.hpp>

#include "domain/chat/scripted_reply.hpp"
#include "json_support.hpp"

using namespace troupe::domain;

namespace {

struct turn {
  std::shared_ptr<completion_request> req;
  prompt p;
  explicit turn(const std::string& body)
      : req(std::make_shared<completion_request>(parse_completion_request(body))) {
    p.request = req;
    p.history = std::make_shared<message_list>();
  }
  scripted_reply plan(const provider_config& cfg) { return plan_scripted_reply(cfg, p, req->params); }
};

const std::string tools =
    R"("tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",)"
    R"("properties":{"city":{"type":"string"},"days":{"type":"integer","minimum":1}},"required":["city"]}}},)"
    R"({"type":"function","function":{"name":"noop"}}])";

provider_config scripted() {
  provider_config cfg;
  cfg.name = "test";
  cfg.tool_calls = {{"", "get_weather", R"({"city":"Paris"})"}};
  return cfg;
}

}  // namespace

BOOST_AUTO_TEST_CASE(plain_text_word_by_word) {
  turn t(R"({"model":"a","messages":[{"role":"user","content":"hi there"}],"stop":"mock"})");
  auto r = t.plan(provider_config{});
  BOOST_TEST(r.result.first().message.content == "Test response from ");
  BOOST_TEST(r.steps.size() == 3u);
  BOOST_TEST(r.result.tokens.prompt_tokens == 2);
  BOOST_TEST(r.result.tokens.completion_tokens == 3);
}

BOOST_AUTO_TEST_CASE(offered_tools_get_the_scripted_calls_streamed_in_fragments) {
  turn t(R"({"model":"a","messages":[{"role":"user","content":"weather?"}],)" + tools + "}");
  auto r = t.plan(scripted());
  auto& c = r.result.first();
  BOOST_TEST(c.finish_reason == "tool_calls");
  BOOST_TEST((c.message.kind == content_kind::null));
  BOOST_REQUIRE(c.message.tool_calls().size() == 1u);
  auto& call = c.message.tool_calls()[0];
  BOOST_TEST(call.name == "get_weather");
  BOOST_TEST(call.arguments == R"({"city":"Paris"})");
  BOOST_TEST(call.id.rfind("call_", 0) == 0u);
  // Head fragment, then the arguments in pieces that add up.
  BOOST_REQUIRE(r.steps.size() >= 3u);
  std::string args;
  for (std::size_t i = 0; i < r.steps.size(); ++i) {
    auto d = troupe::testing::parse_json(r.steps[i].delta_json);
    auto& f = d["tool_calls"][0];
    BOOST_TEST(f["index"].GetInt() == 0);
    BOOST_TEST(f.HasMember("id") == (i == 0));
    args += f["function"]["arguments"].GetString();
  }
  BOOST_TEST(args == call.arguments);
}

BOOST_AUTO_TEST_CASE(results_back_get_a_text_quoting_them) {
  turn t(R"({"model":"a","messages":[{"role":"user","content":"w?"},{"role":"assistant","content":null,)"
         R"("tool_calls":[{"id":"c","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},)"
         R"({"role":"tool","tool_call_id":"c","content":"21C"}],)" + tools + "}");
  auto r = t.plan(scripted());
  BOOST_TEST(r.result.first().finish_reason == "stop");
  BOOST_TEST(r.result.first().message.content == "Tool results: 21C");
}

BOOST_AUTO_TEST_CASE(tool_choice_rules) {
  // none: text even with a script.
  turn none(R"({"model":"a","messages":[{"role":"user","content":"x"}],"tool_choice":"none",)" + tools + "}");
  BOOST_TEST(none.plan(scripted()).result.first().message.tool_calls().empty());
  // No script: text, unless the request requires a call; then arguments come from the schema.
  turn plain(R"({"model":"a","messages":[{"role":"user","content":"x"}],)" + tools + "}");
  BOOST_TEST(plain.plan(provider_config{}).result.first().message.tool_calls().empty());
  turn required(R"({"model":"a","messages":[{"role":"user","content":"x"}],"tool_choice":"required",)" + tools + "}");
  auto call = required.plan(provider_config{}).result.first().message.tool_calls().at(0);
  BOOST_TEST(call.name == "get_weather");
  auto args = troupe::testing::parse_json(call.arguments);
  BOOST_TEST(args["city"].IsString());
  BOOST_TEST(args["days"].GetInt() == 1);
  turn named(R"({"model":"a","messages":[{"role":"user","content":"x"}],)"
             R"("tool_choice":{"type":"function","function":{"name":"noop"}},)" + tools + "}");
  BOOST_TEST(named.plan(scripted()).result.first().message.tool_calls().at(0).name == "noop");
}

BOOST_AUTO_TEST_CASE(response_formats_get_json) {
  turn obj(R"({"model":"a","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})");
  auto o = troupe::testing::parse_json(obj.plan(provider_config{}).result.first().message.content);
  BOOST_TEST(o.IsObject());
  turn schema(R"({"model":"a","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema",)"
              R"("json_schema":{"name":"person","strict":true,"schema":{"type":"object","properties":{)"
              R"("name":{"type":"string"},"age":{"type":"number"},"tags":{"type":"array","items":{"type":"string"}}},)"
              R"("required":["name","age","tags"],"additionalProperties":false}}}})");
  auto s = troupe::testing::parse_json(schema.plan(provider_config{}).result.first().message.content);
  BOOST_TEST(s["name"].IsString());
  BOOST_TEST(s["age"].IsNumber());
  BOOST_TEST(s["tags"][0].IsString());
}

BOOST_AUTO_TEST_CASE(n_choices) {
  turn t(R"({"model":"a","messages":[{"role":"user","content":"x"}],"n":3})");
  auto r = t.plan(provider_config{});
  BOOST_TEST(r.result.choices.size() == 3u);
  BOOST_TEST(r.result.choices[2].index == 2);
  BOOST_TEST(r.steps.back().index == 2);
}
