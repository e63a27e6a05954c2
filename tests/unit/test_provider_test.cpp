#define BOOST_TEST_MODULE test_provider
#include <boost/test/unit_test.hpp>

#include "actors/errors.hpp"
#include "actors/providers/test_provider.hpp"
#include "test_support.hpp"

using namespace troupe;
using namespace std::chrono_literals;

namespace {

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  fixture() {
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  // A provider whose first token comes only after a minute.
  actors::provider_actor slow_provider() {
    domain::provider_config p;
    p.name = "slow";
    p.type = "test";
    p.reply = "one two three";
    p.first_token_ms = 60000;
    p.token_interval_ms = 10;
    return actors::spawn_test_provider(*sys, p, std::make_shared<actors::component_status>());
  }

  static actors::llm_call call_for(const std::shared_ptr<actors::turn_reply>& reply) {
    actors::llm_call c;
    auto req = std::make_shared<domain::completion_request>();
    req->model = "m";
    req->messages = {{domain::role::user, "hi", 0}};
    c.prompt.request = req;
    c.prompt.history = std::make_shared<domain::message_list>();
    c.reply = reply;
    return c;
  }
};

// The client of a slow call hangs up; how the call ends, and how long it took.
std::pair<caf::error, std::chrono::milliseconds> hang_up(fixture& f, bool stream) {
  auto sink = std::make_shared<testing::recording_sink>();
  auto reply = actors::chat_turn_reply(
      sink, domain::make_completion_meta("m", "s", ""), stream, false);
  auto provider = f.slow_provider();
  caf::scoped_actor self{*f.sys};
  auto t0 = std::chrono::steady_clock::now();
  auto pending = self->request(provider, 10s, fixture::call_for(reply));
  std::this_thread::sleep_for(50ms);
  sink->gone = true;
  caf::error err;
  pending.receive([](const actors::llm_result&) { BOOST_FAIL("the call was not cancelled"); },
                  [&](caf::error& e) { err = std::move(e); });
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  caf::anon_send_exit(provider, caf::exit_reason::user_shutdown);
  return {err, took};
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_non_stream_hang_up_cancels_the_call_within_a_second, fixture) {
  auto [err, took] = hang_up(*this, false);
  BOOST_TEST(took.count() < 1000);  // not when the first token (a minute away) is due
  BOOST_TEST(!actors::is_actor_failure(err), "a hang-up is not a crashed actor");
  BOOST_TEST(actors::to_api_error(err).status == 502);
}

BOOST_FIXTURE_TEST_CASE(a_stream_hang_up_before_the_first_token_cancels_the_call, fixture) {
  auto [err, took] = hang_up(*this, true);
  BOOST_TEST(took.count() < 1000);
  BOOST_TEST(!actors::is_actor_failure(err));
}

BOOST_FIXTURE_TEST_CASE(a_call_whose_client_stays_completes, fixture) {
  domain::provider_config p;
  p.name = "quick";
  p.type = "test";
  p.reply = "a b c";
  p.first_token_ms = 10;
  p.token_interval_ms = 10;
  auto provider = actors::spawn_test_provider(*sys, p, std::make_shared<actors::component_status>());
  auto sink = std::make_shared<testing::recording_sink>();
  auto reply = actors::chat_turn_reply(sink, domain::make_completion_meta("m", "s", ""),
                                                    false, false);
  caf::scoped_actor self{*sys};
  self->request(provider, 10s, call_for(reply))
      .receive([](const actors::llm_result& r) { BOOST_TEST(r.first().message.content == "a b c"); },
               [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  caf::anon_send_exit(provider, caf::exit_reason::user_shutdown);
}
