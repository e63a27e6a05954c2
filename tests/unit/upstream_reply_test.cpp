#define BOOST_TEST_MODULE upstream_reply
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "domain/upstream/upstream_reply.hpp"

using namespace troupe::domain;

BOOST_AUTO_TEST_CASE(a_completion_body) {
  std::string error;
  auto r = parse_upstream_completion(
      R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",
      "content":"Hi there"},"finish_reason":"length"}],"usage":{"prompt_tokens":12,
      "completion_tokens":3,"total_tokens":15}})",
      error);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->first().message.content == "Hi there");
  BOOST_TEST(r->first().finish_reason == "length");
  BOOST_TEST(!r->usage_json.empty());
  BOOST_TEST(r->tokens.prompt_tokens == 12);
  BOOST_TEST(r->tokens.completion_tokens == 3);

  auto bare = parse_upstream_completion(
      R"({"choices":[{"message":{"content":null},"finish_reason":null}]})", error);
  BOOST_REQUIRE(bare);
  BOOST_TEST(bare->first().message.content == "");
  BOOST_TEST(bare->first().finish_reason == "stop");
  BOOST_TEST(bare->usage_json.empty());
}

BOOST_AUTO_TEST_CASE(a_completion_with_tool_calls_and_extras) {
  std::string error;
  auto r = parse_upstream_completion(
      R"({"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":null,
      "refusal":null,"annotations":[],"tool_calls":[{"id":"call_a","type":"function",
      "function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]},
      "logprobs":{"content":[]},"finish_reason":"tool_calls"},{"index":1,"message":{"role":
      "assistant","content":"no"},"finish_reason":"stop"}],"system_fingerprint":"fp_9",
      "service_tier":"default","usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12,
      "completion_tokens_details":{"reasoning_tokens":2}}})",
      error);
  BOOST_REQUIRE_MESSAGE(r, error);
  BOOST_REQUIRE(r->choices.size() == 2u);
  auto& m = r->first().message;
  BOOST_TEST((m.kind == content_kind::null));
  BOOST_REQUIRE(m.tool_calls().size() == 1u);
  BOOST_TEST(m.tool_calls()[0].id == "call_a");
  BOOST_TEST(m.tool_calls()[0].arguments == "{\"city\": \"Paris\"}");
  BOOST_TEST(r->first().finish_reason == "tool_calls");
  BOOST_TEST(r->first().logprobs_json == R"({"content":[]})");
  BOOST_TEST(r->choices[1].message.content == "no");
  BOOST_TEST(r->system_fingerprint == "fp_9");
  BOOST_TEST(r->service_tier == "default");
  BOOST_TEST(r->usage_json.find("reasoning_tokens") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_completion_bodies) {
  for (const char* body :
       {"", "not json", "[1]", "{\"choices\":[]}", "{\"choices\":{}}",
        "{\"choices\":[{\"message\":{\"content\":5}}]}", "{\"choices\":[{\"text\":\"x\"}]}",
        "{\"choices\":[{\"message\":{\"role\":\"user\",\"content\":\"x\"}}]}",
        "{\"choices\":[{\"message\":{\"tool_calls\":[{\"id\":1}]}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"x\"},\"finish_reason\":3}]}",
        "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":\"a\"}}",
        "{\"choices\":[{\"message\":{\"content\":\"x\"}}]} trailing",
        "{\"error\":{\"message\":\"overloaded\"}}"}) {
    std::string error;
    BOOST_TEST(!parse_upstream_completion(body, error), body);
    BOOST_TEST(!error.empty(), body);
  }
}

BOOST_AUTO_TEST_CASE(error_messages) {
  BOOST_TEST(upstream_error_message(R"({"error":{"message":"Incorrect API key","type":"x"}})") ==
             "Incorrect API key");
  BOOST_TEST(upstream_error_message(R"({"error":"model not found"})") == "model not found");
  BOOST_TEST(upstream_error_message(R"({"detail":"Not Found"})") == "Not Found");
  BOOST_TEST(upstream_error_message(R"({"message":"m"})") == "m");
  BOOST_TEST(upstream_error_message("<html>502 Bad\nGateway</html>") == "<html>502 Bad Gateway</html>");
  BOOST_TEST(upstream_error_message("") == "(empty body)");
  auto long_text = upstream_error_message(std::string(1000, 'x'));
  BOOST_TEST(long_text.size() == 303u);
}

namespace {

std::string chunk(const std::string& content, const char* finish = nullptr) {
  std::string f = finish ? std::string("\"") + finish + "\"" : "null";
  return "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content +
         "\"},\"finish_reason\":" + f + "}]}\n\n";
}

// The content of each piece, or the piece's compact JSON when it has no content.
std::string describe(const stream_piece& p) {
  if (!p.delta) return "";
  auto c = p.delta->FindMember("content");
  if (c != p.delta->MemberEnd() && c->value.IsString() && c->value.GetStringLength())
    return c->value.GetString();
  return to_json_text(*p.delta);
}

struct run {
  upstream_stream_decoder d;
  std::vector<std::string> deltas;
  bool complete = false;

  // Feeds the text in pieces of `step` bytes, then ends the stream.
  run(const std::string& text, std::size_t step) {
    auto f = [&](const stream_piece& p) { deltas.push_back(describe(p)); };
    for (std::size_t i = 0; i < text.size(); i += step)
      if (!d.feed(text.substr(i, step), f)) break;
    complete = d.finish(f);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_stream_in_any_pieces) {
  const std::string text = ": keep-alive\n\n"
                           "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n" +
                           chunk("Hel") + chunk("lo \\u00e9") + chunk("", "stop") +
                           "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2}}\n\n"
                           "data: [DONE]\n\n";
  for (std::size_t step : {1u, 2u, 7u, 64u, 4096u}) {
    BOOST_TEST_CONTEXT("step " << step) {
      run r(text, step);
      BOOST_TEST(r.complete);
      BOOST_TEST((r.d.status() == upstream_stream_decoder::state::done));
      BOOST_TEST(r.deltas == (std::vector<std::string>{"Hel", "lo \xc3\xa9"}),
                 boost::test_tools::per_element());
      BOOST_TEST(r.d.result().first().message.content == "Hello \xc3\xa9");
      BOOST_TEST(r.d.result().first().finish_reason == "stop");
      BOOST_TEST(r.d.result().tokens.prompt_tokens == 9);
      BOOST_TEST(r.d.started());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_finish_reason_without_done_is_complete) {
  run r(chunk("a") + chunk("", "length"), 5);
  BOOST_TEST(r.complete);
  BOOST_TEST(r.d.result().first().finish_reason == "length");
}

BOOST_AUTO_TEST_CASE(a_stream_cut_short_fails) {
  run r(chunk("a") + chunk("b") + "data: {\"choi", 3);
  BOOST_TEST(!r.complete);
  BOOST_TEST((r.d.status() == upstream_stream_decoder::state::failed));
  BOOST_TEST(r.deltas.size() == 2u);
  BOOST_TEST(r.d.started());
  BOOST_TEST(!r.d.upstream_reported());
}

BOOST_AUTO_TEST_CASE(malformed_events_fail_and_stop_the_deltas) {
  for (std::string bad : {"data: {not json}\n\n", "data: [1,2]\n\n",
                          "data: {\"choices\":{}}\n\n",
                          "data: {\"choices\":[{\"delta\":{\"content\":1}}]}\n\n"}) {
    BOOST_TEST_CONTEXT(bad) {
      run r(chunk("ok") + bad + chunk("never"), 4);
      BOOST_TEST(!r.complete);
      BOOST_TEST(r.deltas == std::vector<std::string>{"ok"}, boost::test_tools::per_element());
      BOOST_TEST(r.d.error().find("malformed") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_error_event_is_reported) {
  run r("data: {\"error\":{\"message\":\"rate limited mid-stream\"}}\n\n", 3);
  BOOST_TEST(!r.complete);
  BOOST_TEST(r.d.upstream_reported());
  BOOST_TEST(r.d.error() == "rate limited mid-stream");
  BOOST_TEST(!r.d.started());
}

BOOST_AUTO_TEST_CASE(nothing_after_done) {
  upstream_stream_decoder d;
  std::vector<std::string> deltas;
  auto f = [&](const stream_piece& p) { deltas.push_back(describe(p)); };
  BOOST_TEST(!d.feed(chunk("a") + "data: [DONE]\n\n" + chunk("b"), f));
  BOOST_TEST(!d.feed(chunk("c"), f));
  BOOST_TEST(d.finish(f));
  BOOST_TEST(deltas == std::vector<std::string>{"a"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(streamed_tool_calls_are_relayed_and_summed) {
  auto ev = [](const std::string& json) { return "data: " + json + "\n\n"; };
  const std::string text =
      ev(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]})") +
      ev(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]},"finish_reason":null}]})") +
      ev(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\":\"Paris\"}"}}]},"finish_reason":null}]})") +
      ev(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"t","arguments":"{}"}}]},"finish_reason":null}]})") +
      ev(R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"system_fingerprint":"fp"})") +
      "data: [DONE]\n\n";
  for (std::size_t step : {1u, 5u, 4096u}) {
    BOOST_TEST_CONTEXT("step " << step) {
      run r(text, step);
      BOOST_TEST(r.complete);
      BOOST_TEST(r.deltas.size() == 4u);  // each fragment at once, none buffered
      auto res = r.d.result();
      auto& m = res.first().message;
      BOOST_TEST((m.kind == content_kind::null));
      BOOST_REQUIRE(m.tool_calls().size() == 2u);
      BOOST_TEST(m.tool_calls()[0].id == "call_1");
      BOOST_TEST(m.tool_calls()[0].name == "get_weather");
      BOOST_TEST(m.tool_calls()[0].arguments == R"({"city":"Paris"})");
      BOOST_TEST(m.tool_calls()[1].name == "t");
      BOOST_TEST(res.first().finish_reason == "tool_calls");
      BOOST_TEST(res.system_fingerprint == "fp");
    }
  }
}

BOOST_AUTO_TEST_CASE(several_choices_and_refusals_add_up_per_index) {
  auto ev = [](const std::string& json) { return "data: " + json + "\n\n"; };
  const std::string text =
      ev(R"({"choices":[{"index":1,"delta":{"content":"b"}},{"index":0,"delta":{"refusal":"no"}}]})") +
      ev(R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"},{"index":1,"delta":{},"finish_reason":"length"}]})") +
      "data: [DONE]\n\n";
  run r(text, 3);
  BOOST_TEST(r.complete);
  auto res = r.d.result();
  BOOST_REQUIRE(res.choices.size() == 2u);
  BOOST_TEST(res.choices[0].index == 0);
  BOOST_TEST(*res.choices[0].message.extra->refusal == "no");
  BOOST_TEST(res.choices[1].message.content == "b");
  BOOST_TEST(res.choices[1].finish_reason == "length");
}

BOOST_AUTO_TEST_CASE(an_upstream_cannot_make_troupe_hold_unbounded_calls_or_choices) {
  for (std::string bad :
       {R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":4294967295,"function":{"arguments":"x"}}]}}]})",
        R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":50000000,"id":"c"}]}}]})",
        R"(data: {"choices":[{"index":100000000,"delta":{"content":"x"}}]})"}) {
    BOOST_TEST_CONTEXT(bad) {
      run r(bad + "\n\n", 7);
      BOOST_TEST(!r.complete);
      BOOST_TEST(r.d.error().find("malformed") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(fragments_without_an_index_continue_the_last_call) {
  auto ev = [](const std::string& json) { return "data: " + json + "\n\n"; };
  run r(ev(R"({"choices":[{"delta":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":"{"}}]}}]})") +
            ev(R"({"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"}"}}]}}]})") +
            ev(R"({"choices":[{"delta":{"tool_calls":[{"id":"b","function":{"name":"g","arguments":"{}"}}]},"finish_reason":"tool_calls"}]})") +
            "data: [DONE]\n\n",
        9);
  auto calls = r.d.result().first().message.tool_calls();
  BOOST_REQUIRE(calls.size() == 2u);
  BOOST_TEST(calls[0].arguments == "{}");
  BOOST_TEST(calls[1].name == "g");
}
