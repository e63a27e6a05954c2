#define BOOST_TEST_MODULE session_reader
#include <boost/test/unit_test.hpp>

#include <thread>

#include "actors/session_reader.hpp"
#include "actors/session_repository.hpp"
#include "storage/sqlite_db.hpp"
#include "storage/storage_factory.hpp"
#include "test_support.hpp"

using namespace troupe;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(a_waking_session_loads_while_the_repository_waits_for_a_commit) {
  testing::temp_dir dir;
  auto path = dir.file("r.db");
  auto stores = storage::open_storage("sqlite:" + path);
  testing::add_agent(*stores.agents, "a");
  stores.sessions->append_turn(domain::new_session_info("asleep", "a", "", 1),
                               {{domain::role::user, "q", 1}, {domain::role::assistant, "r", 2}});
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto health = std::make_shared<actors::component_status>();
  auto repo = actors::spawn_session_repository(sys, std::move(stores.sessions), health);
  auto reader = actors::spawn_session_reader(sys, std::move(stores.session_reads), health);
  caf::scoped_actor self{sys};
  {
    // Another connection holds the write lock: the repository's next commit
    // waits for it (up to the busy timeout, 5 s).
    storage::sqlite_db blocker{path};
    blocker.exec("BEGIN EXCLUSIVE;");
    self->send(repo, testing::store(domain::new_session_info("busy", "a", "", 1), {{domain::role::user, "x", 1}}));
    std::this_thread::sleep_for(100ms);  // the commit has started and waits
    auto t0 = std::chrono::steady_clock::now();
    self->request(reader, 3s, actors::load_session{"asleep"})
        .receive(
            [&](const actors::session_snapshot& s) {
              BOOST_REQUIRE(s.info.has_value());
              BOOST_TEST(s.info->message_count == 2);
              BOOST_REQUIRE(s.history);
              BOOST_TEST(s.history->size() == 2u);
            },
            [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    BOOST_TEST((std::chrono::steady_clock::now() - t0 < 1s), "the load waited for the commit");
    blocker.exec("ROLLBACK;");
  }
  // The blocked write went through once the lock was gone, and is visible to the reader.
  self->receive([](const actors::stored&) {}, [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); },
                caf::after(10s) >> [] { BOOST_FAIL("the write was never acknowledged"); });
  self->request(reader, 3s, actors::load_session{"busy"})
      .receive([](const actors::session_snapshot& s) { BOOST_TEST(s.info.has_value()); },
               [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  self->send_exit(repo, caf::exit_reason::user_shutdown);
  self->send_exit(reader, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(memory_storage_has_no_second_reader) {
  BOOST_TEST(!storage::open_storage("memory").session_reads);
}
