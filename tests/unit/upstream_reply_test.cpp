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
  BOOST_TEST(r->content == "Hi there");
  BOOST_TEST(r->finish_reason == "length");
  BOOST_REQUIRE(r->tokens);
  BOOST_TEST(r->tokens->prompt_tokens == 12);
  BOOST_TEST(r->tokens->completion_tokens == 3);

  auto bare = parse_upstream_completion(
      R"({"choices":[{"message":{"content":null},"finish_reason":null}]})", error);
  BOOST_REQUIRE(bare);
  BOOST_TEST(bare->content == "");
  BOOST_TEST(bare->finish_reason == "stop");
  BOOST_TEST(!bare->tokens);
}

BOOST_AUTO_TEST_CASE(malformed_completion_bodies) {
  for (const char* body :
       {"", "not json", "[1]", "{\"choices\":[]}", "{\"choices\":{}}",
        "{\"choices\":[{\"message\":{\"content\":5}}]}", "{\"choices\":[{\"text\":\"x\"}]}",
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

struct run {
  upstream_stream_decoder d;
  std::vector<std::string> deltas;
  bool complete = false;

  // Feeds the text in pieces of `step` bytes, then ends the stream.
  run(const std::string& text, std::size_t step) {
    auto f = [&](std::string_view t) { deltas.emplace_back(t); };
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
      BOOST_TEST(r.d.result().content == "Hello \xc3\xa9");
      BOOST_TEST(r.d.result().finish_reason == "stop");
      BOOST_REQUIRE(r.d.result().tokens);
      BOOST_TEST(r.d.result().tokens->prompt_tokens == 9);
      BOOST_TEST(r.d.started());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_finish_reason_without_done_is_complete) {
  run r(chunk("a") + chunk("", "length"), 5);
  BOOST_TEST(r.complete);
  BOOST_TEST(r.d.result().finish_reason == "length");
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
  auto f = [&](std::string_view t) { deltas.emplace_back(t); };
  BOOST_TEST(!d.feed(chunk("a") + "data: [DONE]\n\n" + chunk("b"), f));
  BOOST_TEST(!d.feed(chunk("c"), f));
  BOOST_TEST(d.finish(f));
  BOOST_TEST(deltas == std::vector<std::string>{"a"}, boost::test_tools::per_element());
}
