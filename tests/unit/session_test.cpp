#define BOOST_TEST_MODULE session
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "actors/errors.hpp"
#include "actors/session.hpp"
#include "actors/session_repository.hpp"
#include "storage/memory_session_store.hpp"
#include "test_support.hpp"

using namespace troupe;
using namespace std::chrono_literals;

namespace {

// What the fake agent observed, shared with the test thread.
struct observations {
  std::mutex mu;
  std::vector<std::string> order;  // the new user message of each turn, in arrival order
  int running = 0;
  int max_running = 0;
};

struct finish_turn {
  caf::response_promise rp;
  std::string content;
};

}  // namespace

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(finish_turn)

namespace {

// Echoes the turn's last message after a random short delay; "fail" fails.
caf::behavior fake_agent(caf::event_based_actor* self, std::shared_ptr<observations> obs) {
  auto rng = std::make_shared<std::mt19937>(42);
  return {
      [=](const actors::turn_input& in) -> caf::result<actors::llm_result> {
        auto content = in.request->messages.back().content;
        {
          std::lock_guard<std::mutex> g{obs->mu};
          obs->order.push_back(content);
          obs->max_running = std::max(obs->max_running, ++obs->running);
        }
        auto rp = self->make_response_promise();
        self->delayed_send(self, std::chrono::milliseconds((*rng)() % 3), finish_turn{rp, content});
        return rp;
      },
      [=](finish_turn& f) {
        {
          std::lock_guard<std::mutex> g{obs->mu};
          --obs->running;
        }
        if (f.content == "hang") return;  // never answers
        if (f.content == "fail")
          f.rp.deliver(actors::to_caf_error(domain::internal_error("provider failed")));
        else
          f.rp.deliver(testing::text_result("echo " + f.content));
      },
  };
}

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  actors::session_repo_actor repo;
  std::shared_ptr<observations> obs = std::make_shared<observations>();
  actors::agent_actor agent;
  std::shared_ptr<actors::turn_deadlines> deadlines =
      std::make_shared<actors::turn_deadlines>(std::chrono::milliseconds(300));
  caf::actor watchdog;

  fixture() {
    cfg.set("scheduler.max-threads", 4);
    sys = std::make_unique<caf::actor_system>(cfg);
    repo = actors::spawn_session_repository(*sys, std::make_shared<storage::memory_session_store>());
    agent = caf::actor_cast<actors::agent_actor>(sys->spawn(fake_agent, obs));
    watchdog = actors::spawn_turn_watchdog(*sys, deadlines, std::chrono::milliseconds(10));
  }
  ~fixture() {
    caf::anon_send_exit(repo, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(watchdog, caf::exit_reason::user_shutdown);
  }

  actors::session_actor session(const std::string& id, bool fresh) {
    return actors::spawn_session(*sys, id, fresh, repo, {deadlines, {}, {}});
  }

  domain::message_list stored(const std::string& id) {
    caf::scoped_actor self{*sys};
    domain::message_list out;
    self->request(repo, 5s, actors::get_session{id})
        .receive([&](const actors::session_detail& d) { out = d.messages; },
                 [&](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(turns_run_one_at_a_time_in_arrival_order, fixture) {
  auto s1 = session("s1", true);
  caf::scoped_actor self{*sys};
  constexpr int n = 30;
  std::vector<testing::turn_with_sink> turns;
  for (int i = 0; i < n; ++i) turns.push_back(testing::make_turn("a", "s1", "m" + std::to_string(i)));
  std::atomic<int> ok{0};
  for (auto& t : turns) self->send(s1, actors::session_turn{t.turn, agent});
  for (int i = 0; i < n; ++i)
    self->receive([&](const actors::turn_done& d) { ok += d.ok; },
                  caf::after(5s) >> [&] { BOOST_FAIL("a turn never finished"); });
  BOOST_TEST(ok == n);
  {
    std::lock_guard<std::mutex> g{obs->mu};
    BOOST_TEST(obs->max_running == 1);
    BOOST_REQUIRE(obs->order.size() == static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) BOOST_TEST(obs->order[i] == "m" + std::to_string(i));
  }
  for (int i = 0; i < n; ++i) {
    BOOST_REQUIRE(turns[i].sink->wait());
    BOOST_TEST(turns[i].sink->status() == 200);
    BOOST_TEST(turns[i].sink->body().find("echo m" + std::to_string(i) + "\"") != std::string::npos);
  }
  auto history = stored("s1");
  BOOST_REQUIRE(history.size() == static_cast<std::size_t>(2 * n));
  for (int i = 0; i < n; ++i) {
    BOOST_TEST((history[2 * i].role == domain::role::user));
    BOOST_TEST(history[2 * i].content == "m" + std::to_string(i));
    BOOST_TEST((history[2 * i + 1].role == domain::role::assistant));
    BOOST_TEST(history[2 * i + 1].content == "echo m" + std::to_string(i));
  }
  caf::anon_send_exit(s1, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(a_failed_turn_stores_nothing, fixture) {
  auto s2 = session("s2", true);
  caf::scoped_actor self{*sys};
  for (auto content : {"first", "fail", "third"}) {
    auto t = testing::make_turn("a", "s2", content);
    self->request(s2, 5s, actors::session_turn{t.turn, agent})
        .receive([&](const actors::turn_done&) {}, [&](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    BOOST_REQUIRE(t.sink->wait());
    BOOST_TEST(t.sink->status() == (std::string(content) == "fail" ? 500 : 200));
  }
  auto history = stored("s2");
  BOOST_REQUIRE(history.size() == 4u);
  BOOST_TEST(history[0].content == "first");
  BOOST_TEST(history[2].content == "third");
  caf::anon_send_exit(s2, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(another_user_is_refused_and_history_reloads, fixture) {
  caf::scoped_actor self{*sys};
  auto run = [&](const actors::session_actor& s, const char* content, const char* user,
                 const char* model = "a") {
    auto t = testing::make_turn(model, "s3", content, user);
    self->request(s, 5s, actors::session_turn{t.turn, agent})
        .receive([&](const actors::turn_done&) {}, [&](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    BOOST_REQUIRE(t.sink->wait());
    return t.sink->status();
  };
  auto first = session("s3", true);
  BOOST_TEST(run(first, "hello", "alice") == 200);
  // Another user's session is unknown to them (404), checked before the
  // agent: with another agent too it is still 404, never the 400 naming it.
  BOOST_TEST(run(first, "intrude", "bob") == 404);
  BOOST_TEST(run(first, "intrude", "bob", "other-agent") == 404);
  BOOST_TEST(run(first, "wrong agent", "alice", "other-agent") == 400);
  caf::anon_send_exit(first, caf::exit_reason::user_shutdown);
  // A fresh actor for the same id loads the stored owner and history.
  auto second = session("s3", false);
  BOOST_TEST(run(second, "intrude", "bob") == 404);
  BOOST_TEST(run(second, "again", "alice") == 200);
  BOOST_TEST(stored("s3").size() == 4u);
  caf::anon_send_exit(second, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(a_turn_that_takes_too_long_is_504_and_the_next_runs, fixture) {
  auto s = session("s4", true);
  caf::scoped_actor self{*sys};
  auto hang = testing::make_turn("a", "s4", "hang");
  auto next = testing::make_turn("a", "s4", "after");
  auto start = std::chrono::steady_clock::now();
  self->send(s, actors::session_turn{hang.turn, agent});
  self->send(s, actors::session_turn{next.turn, agent});
  BOOST_REQUIRE(hang.sink->wait());
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  BOOST_TEST(hang.sink->status() == 504);
  BOOST_TEST(waited >= 300);
  BOOST_TEST(waited < 2000);
  BOOST_REQUIRE(next.sink->wait());
  BOOST_TEST(next.sink->status() == 200);
  auto history = stored("s4");
  BOOST_REQUIRE(history.size() == 2u);  // the timed-out turn left nothing behind
  BOOST_TEST(history[0].content == "after");
  BOOST_TEST(deadlines->size() == 0u);
  caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(a_stopped_session_answers_every_turn_it_holds, fixture) {
  auto s = session("s5", true);
  caf::scoped_actor self{*sys};
  auto running = testing::make_turn("a", "s5", "hang");
  auto queued = testing::make_turn("a", "s5", "queued");
  self->send(s, actors::session_turn{running.turn, agent});
  self->send(s, actors::session_turn{queued.turn, agent});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the first one start
  self->send_exit(s, actors::to_caf_error(domain::not_found("session 's5' was deleted")));
  for (int i = 0; i < 2; ++i)
    self->receive([](const actors::turn_done& d) { BOOST_TEST(!d.ok); },
                  caf::after(std::chrono::seconds(2)) >> [] { BOOST_FAIL("a turn got no turn_done"); });
  BOOST_REQUIRE(running.sink->wait(std::chrono::milliseconds(200)));
  BOOST_REQUIRE(queued.sink->wait(std::chrono::milliseconds(200)));
  BOOST_TEST(running.sink->status() == 404);
  BOOST_TEST(queued.sink->status() == 404);
  BOOST_TEST(deadlines->size() == 0u);
}
