#define BOOST_TEST_MODULE session_repository
#include <boost/test/unit_test.hpp>

#include <thread>

#include "actors/session_repository.hpp"
#include "actors/errors.hpp"
#include "storage/sqlite_db.hpp"
#include "storage/storage_factory.hpp"
#include "pg_server.hpp"
#include "test_support.hpp"

using namespace troupe;
using namespace std::chrono_literals;

namespace {

void turns_share_commits(const std::string& spec) {
  std::shared_ptr<storage::session_store> store = storage::open_storage(spec).sessions;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto repo = actors::spawn_session_repository(sys, store);
  caf::scoped_actor self{sys};
  constexpr int n = 300;
  for (int i = 0; i < n; ++i) {
    auto info = domain::new_session_info("s" + std::to_string(i % 30), "a", "", 1);
    self->send(repo, testing::store(info, {{domain::role::user, "q" + std::to_string(i), 1},
                                               {domain::role::assistant, "r", 1}}));
  }
  int acked = 0;
  for (int i = 0; i < n; ++i)
    self->receive([&](const actors::stored&) { ++acked; },
                  [&](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); },
                  caf::after(10s) >> [] { BOOST_FAIL("a turn was never acknowledged"); });
  BOOST_TEST(acked == n);
  BOOST_TEST(store->count() == 30u);
  BOOST_TEST(store->history("s7", 100).size() == 20u);
  // Turns sent together go to disk together.
  BOOST_TEST(store->commits() < static_cast<std::uint64_t>(n));
  BOOST_TEST_MESSAGE("commits for " << n << " turns: " << store->commits());
  self->send_exit(repo, caf::exit_reason::user_shutdown);
}

}  // namespace

BOOST_AUTO_TEST_CASE(concurrent_turns_share_commits_and_all_are_acknowledged) {
  testing::temp_dir dir;
  turns_share_commits("sqlite:" + dir.file("r.db"));
}

#ifdef TROUPE_PG_BINDIR
BOOST_AUTO_TEST_CASE(postgres_turns_share_commits_and_all_are_acknowledged) {
  turns_share_commits(testing::pg_server::shared().new_database());
}

BOOST_AUTO_TEST_CASE(postgres_gone_is_503_and_degraded_then_recovers_by_itself) {
  auto& pg = testing::pg_server::shared();
  std::shared_ptr<storage::session_store> store = storage::open_storage(pg.new_database()).sessions;
  auto health = std::make_shared<actors::component_status>();
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto repo = actors::spawn_session_repository(sys, store, health);
  caf::scoped_actor self{sys};
  auto send_turn = [&](const std::string& id, const char* text) {
    int status = 200;
    auto info = domain::new_session_info(id, "a", "", 1);
    self->request(repo, 20s, testing::store(info, {{domain::role::user, text, 1}}))
        .receive([](const actors::stored&) {},
                 [&](const caf::error& e) { status = actors::to_api_error(e).status; });
    return status;
  };
  BOOST_TEST(send_turn("before", "q") == 200);
  pg.stop();
  BOOST_TEST(send_turn("s", "lost") == 503);
  BOOST_TEST(health->snapshot().failing());
  BOOST_TEST(send_turn("s", "still away") == 503);  // reconnects fail fast meanwhile
  pg.start();
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {  // backoff: at most 2 s between attempts
    status = send_turn("s", "back");
    if (status != 200) std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST(status == 200);
  BOOST_TEST(!health->snapshot().failing());
  // Nothing of the failed turns was written, all of the later one was.
  auto h = store->history("s", 10);
  BOOST_REQUIRE(h.size() == 1u);
  BOOST_TEST(h[0].content == "back");
  BOOST_TEST(store->history("before", 10).size() == 1u);
  self->send_exit(repo, caf::exit_reason::user_shutdown);
}
#endif

BOOST_AUTO_TEST_CASE(a_failed_commit_is_reported_not_acknowledged) {
  testing::temp_dir dir;
  auto path = dir.file("r.db");
  std::shared_ptr<storage::session_store> store = storage::open_storage("sqlite:" + path).sessions;
  auto health = std::make_shared<actors::component_status>();
  {
    // Another connection holds the write lock longer than the busy timeout allows.
    storage::sqlite_db blocker{path};
    blocker.exec("BEGIN EXCLUSIVE;");
    caf::actor_system_config cfg;
    caf::actor_system sys{cfg};
    auto repo = actors::spawn_session_repository(sys, store, health);
    caf::scoped_actor self{sys};
    auto info = domain::new_session_info("s", "a", "", 1);
    self->request(repo, 20s, testing::store(info, {{domain::role::user, "q", 1}}))
        .receive([](const actors::stored&) { BOOST_FAIL("acknowledged a write that failed"); },
                 [](const caf::error& e) {
                   BOOST_TEST(actors::to_api_error(e).status == 503, caf::to_string(e));
                 });
    // Health shows the failure until a write succeeds again.
    BOOST_TEST(health->snapshot().failing());
    BOOST_TEST(health->snapshot().last_error.find("locked") != std::string::npos,
               health->snapshot().last_error);
    blocker.exec("ROLLBACK;");
    BOOST_TEST(!store->get("s"));
    self->request(repo, 20s, testing::store(info, {{domain::role::user, "q", 1}}))
        .receive([](const actors::stored&) {}, [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    BOOST_TEST(!health->snapshot().failing());
    self->send_exit(repo, caf::exit_reason::user_shutdown);
  }
  BOOST_TEST(store->get("s").has_value());
}

BOOST_AUTO_TEST_CASE(reads_and_deletes_scoped_to_a_user_see_only_their_sessions) {
  std::shared_ptr<storage::session_store> store = storage::open_storage("memory").sessions;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto repo = actors::spawn_session_repository(sys, store);
  caf::scoped_actor self{sys};
  domain::session_info info;
  info.id = "s";
  info.agent_id = "a";
  info.user_id = "ann";
  info.created_at_ms = info.last_activity_ms = 1;
  self->request(repo, 5s, actors::store_turn{info, {{domain::role::user, "q", 1}}, {}, std::nullopt, std::nullopt, 0, {}})
      .receive([](const actors::stored&) {}, [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  auto read = [&](std::optional<std::string> user) {
    bool found = false;
    self->request(repo, 5s, actors::get_session{"s", std::move(user)})
        .receive([&](const actors::session_detail& d) { found = d.info.has_value(); },
                 [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return found;
  };
  auto remove = [&](std::optional<std::string> user) {
    bool existed = false;
    self->request(repo, 5s, actors::delete_session{"s", std::move(user)})
        .receive([&](const actors::deleted& d) { existed = d.existed; },
                 [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return existed;
  };
  BOOST_TEST(read(std::nullopt));
  BOOST_TEST(read(std::string("ann")));
  BOOST_TEST(!read(std::string("bob")));
  BOOST_TEST(!read(std::string("")));
  BOOST_TEST(!remove(std::string("bob")));
  BOOST_TEST(store->count() == 1u);  // bob's delete touched nothing
  BOOST_TEST(remove(std::string("ann")));
  BOOST_TEST(store->count() == 0u);
  self->send_exit(repo, caf::exit_reason::user_shutdown);
}
