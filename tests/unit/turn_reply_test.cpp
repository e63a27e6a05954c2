#define BOOST_TEST_MODULE turn_reply
#include <boost/test/unit_test.hpp>

#include "actors/turn_reply.hpp"
#include "test_support.hpp"

using namespace troupe;

namespace {

struct counting_observer final : actors::turn_observer {
  int starts = 0, outputs = 0, ends = 0, status = 0;
  std::int64_t tokens = -1;
  void started() override { ++starts; }
  void first_output() override { ++outputs; }
  void ended(const actors::llm_result* r, int s) override {
    ++ends;
    status = s;
    tokens = r ? r->tokens.total() : -1;
  }
};

struct observed {
  std::shared_ptr<testing::recording_sink> sink = std::make_shared<testing::recording_sink>();
  std::shared_ptr<counting_observer> obs = std::make_shared<counting_observer>();
  std::shared_ptr<actors::turn_reply> reply;
  explicit observed(bool stream) {
    reply = actors::chat_turn_reply(sink, domain::make_completion_meta("demo", "s", ""), stream, false);
    reply->observe(obs);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_completed_stream_is_observed_once_per_event_before_the_client_hears) {
  observed t{true};
  t.reply->mark_started();
  t.reply->mark_started();
  t.reply->delta("Hello");
  t.reply->delta(" there");
  BOOST_TEST(t.obs->ends == 0);
  auto r = testing::text_result("Hello there");
  r.tokens.prompt_tokens = 3;
  r.tokens.completion_tokens = 2;
  t.reply->complete(r);
  t.reply->fail(domain::internal_error("late"));
  BOOST_TEST(t.obs->starts == 1);
  BOOST_TEST(t.obs->outputs == 1);
  BOOST_TEST(t.obs->ends == 1);
  BOOST_TEST(t.obs->status == 200);
  BOOST_TEST(t.obs->tokens == 5);
}

BOOST_AUTO_TEST_CASE(a_failed_or_dropped_turn_ends_with_its_status) {
  {
    observed t{false};
    t.reply->fail(domain::gateway_timeout("slow"));
    BOOST_TEST(t.obs->ends == 1);
    BOOST_TEST(t.obs->status == 504);
    BOOST_TEST(t.obs->tokens == -1);
    BOOST_TEST(t.sink->status() == 504);
  }
  auto obs = std::make_shared<counting_observer>();
  {
    observed t{false};
    t.reply->observe(obs);
  }  // nobody answered: the reply's destructor does, and the observer hears it
  BOOST_TEST(obs->ends == 1);
  BOOST_TEST(obs->status == 500);
}

BOOST_AUTO_TEST_CASE(a_replayed_answer_is_one_request_without_tokens_whole_or_as_a_stream) {
  auto r = testing::text_result("Stored answer");
  r.tokens.prompt_tokens = 4;
  r.tokens.completion_tokens = 2;
  {
    observed t{false};
    t.reply->replay(r);
    t.reply->complete(r);  // too late: the replay answered
    BOOST_TEST(t.sink->status() == 200);
    auto body = t.sink->body();
    BOOST_TEST(body.find(R"("content":"Stored answer")") != std::string::npos, body);
    BOOST_TEST(body.find(R"("total_tokens":6)") != std::string::npos, body);
    BOOST_TEST(t.obs->ends == 1);
    BOOST_TEST(t.obs->status == 200);
    BOOST_TEST(t.obs->tokens == -1);  // counted when it first ran
  }
  {
    observed t{true};
    t.reply->replay(r);
    auto body = t.sink->body();
    auto role = body.find(R"("role":"assistant")");
    auto text = body.find(R"("content":"Stored answer")");
    auto stop = body.find(R"("finish_reason":"stop")");
    BOOST_TEST(role != std::string::npos, body);
    BOOST_TEST(text != std::string::npos, body);
    BOOST_TEST(stop != std::string::npos, body);
    BOOST_TEST((role < text && text < stop));
    BOOST_TEST(body.size() >= 14u);
    BOOST_TEST(body.substr(body.size() - 14) == "data: [DONE]\n\n");
    BOOST_TEST(t.obs->ends == 1);
  }
}

BOOST_AUTO_TEST_CASE(the_content_prefix_leads_a_text_result_and_its_count_but_no_tool_call_reply) {
  observed t{true};
  t.reply->set_content_prefix("[a] ");
  t.reply->delta("Hello");  // the stream sends the prefix first, once
  auto r = testing::text_result("Hello there");
  r.tokens.completion_tokens = 2;
  t.reply->apply_content_prefix(r);
  BOOST_TEST(r.first().message.content == "[a] Hello there");
  BOOST_TEST(r.tokens.completion_tokens == 3);
  auto calls = testing::text_result("");
  t.reply->apply_content_prefix(calls);
  BOOST_TEST(calls.first().message.content.empty());
  observed none{false};
  auto plain = testing::text_result("Hi");
  none.reply->apply_content_prefix(plain);
  BOOST_TEST(plain.first().message.content == "Hi");
}
