#define BOOST_TEST_MODULE scheduler
#include <boost/test/unit_test.hpp>

#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "actors/agent_repository.hpp"
#include "actors/errors.hpp"
#include "actors/providers/provider_directory.hpp"
#include "actors/scheduler.hpp"
#include "actors/session_repository.hpp"
#include "storage/memory_agent_store.hpp"
#include "storage/memory_session_store.hpp"
#include "test_support.hpp"

using namespace troupe;
using namespace std::chrono_literals;

namespace {

// A session actor that throws on its first turn.
actors::session_actor::behavior_type crashing_session(actors::session_actor::pointer) {
  return {
      [](actors::session_turn&) -> caf::result<actors::turn_done> {
        throw std::runtime_error("session blew up");
      },
      [](actors::session_edit&) -> caf::result<actors::edit_done> {
        throw std::runtime_error("session blew up");
      },
      [](const actors::turn_expired&) {},
  };
}

actors::agent_actor::behavior_type crashing_agent(actors::agent_actor::pointer) {
  return {
      [](const actors::turn_input&) -> caf::result<actors::llm_result> {
        throw std::runtime_error("agent blew up");
      },
      [](const actors::agent_changed&) {},
  };
}

// An agent that answers with a CAF error (as when its provider died) yet
// keeps running: its own delayed message holds it alive for 20 s (long
// enough to fail the test below, short enough not to hang the suite).
actors::agent_actor::behavior_type failing_but_alive_agent(actors::agent_actor::pointer self) {
  self->delayed_send(self, std::chrono::seconds(20), actors::agent_changed{});
  return {
      [](const actors::turn_input&) -> caf::result<actors::llm_result> {
        return caf::make_error(caf::sec::request_receiver_down);
      },
      [](const actors::agent_changed&) {},
  };
}

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  actors::session_repo_actor sessions;
  actors::agent_repo_actor agents;
  actors::scheduler_actor scheduler;
  std::mutex mu;
  std::map<std::string, int> session_spawns;  // id → how many actors were made for it
  int agent_spawns = 0;
  bool crash_first_agent = false;
  bool fail_first_agent_alive = false;
  std::promise<void> failed_agent_stopped;
  caf::actor watcher;

  explicit fixture(std::chrono::milliseconds session_idle = 60s) {
    cfg.set("scheduler.max-threads", 4);
    sys = std::make_unique<caf::actor_system>(cfg);
    sessions = actors::spawn_session_repository(*sys, std::make_shared<storage::memory_session_store>());
    agents = actors::spawn_agent_repository(*sys, std::make_shared<storage::memory_agent_store>(),
                                            sessions, 65536);
    domain::services_config services;
    services.providers["test"] = domain::provider_config{};
    services.providers["test"].name = "test";
    services.providers["test"].type = "test";
    services.default_provider = "test";
    auto deadlines = std::make_shared<actors::turn_deadlines>(std::chrono::seconds(5));
    auto real = actors::default_factory(actors::spawn_providers(*sys, services), sessions, {deadlines, {}, {}});
    actors::actor_factory f;
    f.make_session = [this, real](caf::actor_system& sys, const std::string& id, bool fresh) {
      int n;
      {
        std::lock_guard<std::mutex> g{mu};
        n = session_spawns[id]++;
      }
      if (id.rfind("crashy", 0) == 0 && n == 0) return sys.spawn(crashing_session);
      return real.make_session(sys, id, fresh);
    };
    f.make_agent = [this, real](caf::actor_system& sys, std::shared_ptr<const domain::agent_config> c) {
      bool crash, fail_alive;
      {
        std::lock_guard<std::mutex> g{mu};
        bool first = agent_spawns++ == 0;
        crash = crash_first_agent && first;
        fail_alive = fail_first_agent_alive && first;
      }
      if (crash) return sys.spawn(crashing_agent);
      if (fail_alive) {
        auto a = sys.spawn(failing_but_alive_agent);
        auto handle = std::make_shared<std::optional<actors::agent_actor>>(a);
        watcher = sys.spawn([this, handle](caf::event_based_actor* m) -> caf::behavior {
          m->monitor(**handle);
          handle->reset();  // the watcher must not keep it alive itself
          m->set_down_handler([this](caf::down_msg&) { failed_agent_stopped.set_value(); });
          return {[](int) {}};
        });
        return a;
      }
      return real.make_agent(sys, std::move(c));
    };
    actors::scheduler_options opts;
    opts.max_live_sessions = 10;
    opts.session_idle = session_idle;
    opts.sweep_interval = 50ms;
    scheduler = actors::spawn_scheduler(*sys, agents, sessions, f, opts);
    caf::anon_send(agents, actors::subscribe{scheduler});
    caf::anon_send(sessions, actors::subscribe{scheduler});
    create_agent("a1");
  }

  ~fixture() {
    if (watcher) caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(scheduler, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(agents, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(sessions, caf::exit_reason::user_shutdown);
  }

  void create_agent(const std::string& id) {
    caf::scoped_actor self{*sys};
    auto patch = domain::parse_agent_patch(R"({"id":")" + id + R"(","name":")" + id +
                                               R"(","template_id":"chat"})",
                                           [](const std::string&) { return true; });
    self->request(agents, 5s, actors::create_agent{patch})
        .receive([](const actors::agent_reply&) {},
                 [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  }

  // Sends one turn through the scheduler and waits for its reply status.
  int turn(const std::string& model, const std::string& session, const std::string& content = "hi") {
    auto t = testing::make_turn(model, session, content);
    caf::anon_send(scheduler, t.turn);
    t.turn = {};  // only the actors hold the reply now
    BOOST_REQUIRE(t.sink->wait());
    return t.sink->status();
  }

  actors::health_snapshot health() {
    caf::scoped_actor self{*sys};
    actors::health_snapshot h;
    self->request(scheduler, 5s, actors::health_query{})
        .receive([&](const actors::health_snapshot& x) { h = x; },
                 [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return h;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_crashed_session_answers_500_and_restarts, fixture) {
  BOOST_TEST(turn("a1", "other") == 200);
  BOOST_TEST(turn("a1", "crashy") == 500);
  // The next request starts a fresh actor for the same session.
  BOOST_TEST(turn("a1", "crashy") == 200);
  BOOST_TEST(session_spawns["crashy"] == 2);
  // Other sessions never noticed.
  BOOST_TEST(turn("a1", "other") == 200);
  BOOST_TEST(session_spawns["other"] == 1);
  // The count follows the reply (the session answers first, then reports).
  auto h = health();
  for (int i = 0; i < 200 && h.total_completions < 3u; ++i) {
    std::this_thread::sleep_for(5ms);
    h = health();
  }
  BOOST_TEST(h.live_sessions == 2u);
  BOOST_TEST(h.total_completions == 3u);
  BOOST_TEST(h.agents == 1u);
}

BOOST_FIXTURE_TEST_CASE(queued_turns_of_a_crashed_session_all_answer, fixture) {
  std::vector<testing::turn_with_sink> turns;
  for (int i = 0; i < 5; ++i) turns.push_back(testing::make_turn("a1", "crashy-q", "m" + std::to_string(i)));
  for (auto& t : turns) caf::anon_send(scheduler, t.turn);
  int ok = 0, failed = 0;
  for (auto& t : turns) {
    t.turn = {};
    BOOST_REQUIRE(t.sink->wait());
    (t.sink->status() == 200 ? ok : failed)++;
  }
  BOOST_TEST(failed >= 1);  // at least the turn it crashed on
  BOOST_TEST(ok + failed == 5);
  BOOST_TEST(turn("a1", "crashy-q") == 200);
}

BOOST_FIXTURE_TEST_CASE(a_crashed_agent_answers_500_and_restarts, fixture) {
  crash_first_agent = true;
  create_agent("a2");
  BOOST_TEST(turn("a2", "s1") == 500);
  BOOST_TEST(turn("a2", "s1") == 200);
  BOOST_TEST(agent_spawns == 2);
}

BOOST_FIXTURE_TEST_CASE(an_agent_reported_failed_is_stopped_not_just_forgotten, fixture) {
  // Forgotten but running, it would outlive the scheduler and hold up the
  // actor system's shutdown forever.
  fail_first_agent_alive = true;
  create_agent("a3");
  BOOST_TEST(turn("a3", "s1") == 500);
  BOOST_TEST((failed_agent_stopped.get_future().wait_for(5s) == std::future_status::ready));
  BOOST_TEST(turn("a3", "s1") == 200);  // a fresh agent took its place
}

BOOST_FIXTURE_TEST_CASE(unknown_model_is_404, fixture) {
  BOOST_TEST(turn("nope", "s") == 404);
  BOOST_TEST(health().live_agent_actors == 0u);
}

BOOST_FIXTURE_TEST_CASE(deleting_an_agent_ends_its_sessions, fixture) {
  BOOST_TEST(turn("a1", "s-del") == 200);
  caf::scoped_actor self{*sys};
  self->request(agents, 5s, actors::delete_agent{"a1"})
      .receive([](const actors::deleted& d) { BOOST_TEST(d.existed); },
               [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  auto h = health();
  BOOST_TEST(h.live_sessions == 0u);
  BOOST_TEST(h.stored_sessions == 0u);
  BOOST_TEST(turn("a1", "s-del") == 404);
}

BOOST_FIXTURE_TEST_CASE(a_new_agent_does_not_inherit_sessions_of_a_deleted_one, fixture) {
  // A turn that was stored while agent "a2" was being deleted leaves a
  // session behind; an agent created later under the same id starts clean.
  caf::scoped_actor self{*sys};
  auto left = domain::new_session_info("s-left", "a2", "", 1);
  self->request(sessions, 5s, testing::store(left, {{domain::role::user, "old secret", 1}}))
      .receive([](const actors::stored&) {}, [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  BOOST_TEST(health().stored_sessions == 1u);
  create_agent("a2");
  BOOST_TEST(health().stored_sessions == 0u);
  self->request(sessions, 5s, actors::get_session{"s-left"})
      .receive([](const actors::session_detail& d) { BOOST_TEST(!d.info.has_value()); },
               [](const caf::error& e) { BOOST_TEST(actors::to_api_error(e).status == 404); });
}

BOOST_FIXTURE_TEST_CASE(live_sessions_stay_under_the_cap_and_wake_with_their_history, fixture) {
  for (int i = 0; i < 40; ++i) BOOST_TEST(turn("a1", "cap-" + std::to_string(i), "first") == 200);
  BOOST_TEST(health().live_sessions <= 10u);
  BOOST_TEST(health().passivated_sessions >= 30u);
  // Every session continues where it was: its stored turn comes back with it.
  for (int i = 0; i < 40; ++i) BOOST_TEST(turn("a1", "cap-" + std::to_string(i), "second") == 200);
  caf::scoped_actor self{*sys};
  self->request(sessions, 5s, actors::get_session{"cap-0"})
      .receive([](const actors::session_detail& d) {
                 BOOST_REQUIRE(d.messages.size() == 4u);
                 BOOST_TEST(d.messages[0].content == "first");
                 BOOST_TEST(d.messages[2].content == "second");
               },
               [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  BOOST_TEST(session_spawns["cap-0"] == 2);  // it slept and woke once
}

struct short_idle_fixture : fixture {
  short_idle_fixture() : fixture(300ms) {}
};

BOOST_FIXTURE_TEST_CASE(idle_sessions_sleep, short_idle_fixture) {
  BOOST_TEST(turn("a1", "idle-1") == 200);
  BOOST_TEST(health().live_sessions == 1u);
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (health().live_sessions > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  BOOST_TEST(health().live_sessions == 0u);
  BOOST_TEST(turn("a1", "idle-1") == 200);  // wakes up transparently
}
