#define BOOST_TEST_MODULE pg_db
// The PostgreSQL backend's own rules: schema versions, reopening, tools,
// start-up clean-up, a connection that goes away. The store contracts it
// shares with SQLite run in agent_store_test, session_store_test, key_store_test.
#include "storage/postgres/pg_db.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

#include "pg_server.hpp"
#include "storage/storage_factory.hpp"
#include "test_support.hpp"

using namespace troupe;
using domain::role;

#ifdef TROUPE_PG_BINDIR

namespace {

std::string uri_of(const std::string& spec) { return *storage::postgres_uri_of(spec); }

storage::turn_write turn(const std::string& id, domain::message_list m) {
  storage::turn_write t;
  t.info = domain::new_session_info(id, "a", "u", 1);
  t.messages = std::move(m);
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(migrations_are_recorded_once_and_newer_databases_refused) {
  auto spec = testing::pg_server::shared().new_database();
  storage::open_storage(spec);
  storage::open_storage(spec);  // a second start migrates nothing
  storage::pg_db db{uri_of(spec)};
  BOOST_TEST(db.schema_version() == 3);
  BOOST_TEST(db.query("SELECT COUNT(*) FROM schema_version;").integer(0, 0) == 3);
  db.exec("INSERT INTO schema_version (version) VALUES (99);");
  BOOST_CHECK_THROW(storage::open_storage(spec), storage::storage_error);
  BOOST_CHECK_THROW(storage::open_existing_sessions(spec), storage::storage_error);
}

BOOST_AUTO_TEST_CASE(a_version_1_database_migrates_forward_and_keeps_its_data) {
  auto spec = testing::pg_server::shared().new_database();
  {
    auto stores = storage::open_storage(spec);
    testing::add_agent(*stores.agents, "a");
    stores.sessions->append_turn(domain::new_session_info("s", "a", "u", 1),
                                 {{role::user, "q", 1}});
  }
  storage::pg_db db{uri_of(spec)};
  // Back to what a version-1 build left (step 1 never changes).
  db.exec(
      "DROP TABLE session_owners, cluster_members, cluster_events, turn_keys;"
      "DELETE FROM schema_version WHERE version >= 2;");
  BOOST_TEST(db.schema_version() == 1);
  BOOST_CHECK_THROW(storage::open_existing_sessions(spec), storage::storage_error);
  auto stores = storage::open_storage(spec);
  BOOST_TEST(db.schema_version() == 3);
  BOOST_TEST(stores.agents->count() == 1u);
  BOOST_TEST(stores.sessions->history("s", 10).size() == 1u);
  BOOST_TEST(stores.sessions->claim("s", "n1") == 1u);
  BOOST_TEST(db.query("SELECT COUNT(*) FROM cluster_members;").integer(0, 0) == 0);
  BOOST_TEST(db.query("SELECT COUNT(*) FROM cluster_events;").integer(0, 0) == 0);
}

BOOST_AUTO_TEST_CASE(counts_are_exact_with_several_nodes_writing) {
  auto spec = testing::pg_server::shared().new_database();
  auto a = storage::open_storage(spec);
  auto b = storage::open_storage(spec);  // another node: its own connections
  testing::add_agent(*a.agents, "x");
  testing::add_agent(*b.agents, "y");
  testing::add_agent(*b.agents, "z");
  BOOST_TEST(a.agents->count() == 3u);
  BOOST_TEST(b.agents->count() == 3u);
  BOOST_TEST(a.agents->remove("y"));
  BOOST_TEST(b.agents->count() == 2u);
  a.sessions->append_turn(domain::new_session_info("s1", "x", "u", 1), {{role::user, "q", 1}});
  b.sessions->append_turn(domain::new_session_info("s2", "x", "u", 1), {{role::user, "q", 1}});
  BOOST_TEST(a.sessions->count() == 2u);
  BOOST_TEST(b.session_reads->count() == 2u);
  BOOST_TEST(b.sessions->remove("s1"));
  BOOST_TEST(a.sessions->count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_batch_is_one_commit_and_survives_reopening) {
  auto spec = testing::pg_server::shared().new_database();
  {
    auto stores = storage::open_storage(spec);
    testing::add_agent(*stores.agents, "a");
    std::vector<storage::turn_write> batch;
    for (int i = 0; i < 50; ++i)
      batch.push_back(
          turn("s" + std::to_string(i), {{role::user, "q", 1}, {role::assistant, "r", 1}}));
    stores.sessions->append_turns(batch);
    BOOST_TEST(stores.sessions->commits() == 1u);
  }
  auto reopened = storage::open_storage(spec);
  BOOST_TEST(reopened.sessions->count() == 50u);
  BOOST_TEST(reopened.session_reads->history("s49", 10).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_bad_turn_in_a_batch_fails_alone) {
  auto spec = testing::pg_server::shared().new_database();
  auto stores = storage::open_storage(spec);
  std::vector<storage::turn_write> batch{turn("ok1", {{role::user, "q", 1}}),
                                         turn("bad", {{role::user, "q", 1}}),
                                         turn("ok2", {{role::user, "q", 1}})};
  batch[1].info.id = std::string("b\0d", 3);  // PostgreSQL text refuses NUL
  auto failed = stores.sessions->append_turns(batch);
  BOOST_TEST(failed[0].empty());
  BOOST_TEST(!failed[1].empty());
  BOOST_TEST(failed[2].empty());
  BOOST_TEST(stores.sessions->get("ok2").has_value());
  BOOST_TEST(stores.sessions->count() == 2u);
}

BOOST_AUTO_TEST_CASE(text_with_nul_bytes_round_trips) {
  auto stores = storage::open_storage(testing::pg_server::shared().new_database());
  std::string odd("a\0b", 3);
  stores.sessions->append_turn(domain::new_session_info("s", "a", "u", 1), {{role::user, odd, 1}});
  auto h = stores.sessions->history("s", 5);
  BOOST_REQUIRE(h.size() == 1u);
  BOOST_TEST(h[0].content == odd);
}

BOOST_AUTO_TEST_CASE(start_up_drops_sessions_whose_agent_is_gone) {
  auto spec = testing::pg_server::shared().new_database();
  {
    auto stores = storage::open_storage(spec);
    testing::add_agent(*stores.agents, "a");
    stores.sessions->append_turn(domain::new_session_info("kept", "a", "u", 1),
                                 {{role::user, "q", 1}});
    stores.sessions->append_turn(domain::new_session_info("orphan", "gone", "u", 1),
                                 {{role::user, "q", 1}});
    stores.sessions->append_turn(domain::new_session_info("unbound", "", "u", 1),
                                 {{role::user, "q", 1}});
  }
  auto stores = storage::open_storage(spec);
  BOOST_TEST(stores.sessions->get("kept").has_value());
  BOOST_TEST(!stores.sessions->get("orphan").has_value());
  BOOST_TEST(stores.sessions->get("unbound").has_value());
  storage::pg_db db{uri_of(spec)};
  BOOST_TEST(db.query("SELECT COUNT(*) FROM messages;").integer(0, 0) == 2);
}

BOOST_AUTO_TEST_CASE(tools_open_only_a_database_with_the_schema) {
  auto& pg = testing::pg_server::shared();
  auto empty = pg.new_database();
  BOOST_CHECK_THROW(storage::open_existing_sessions(empty), storage::storage_error);
  BOOST_TEST(storage::pg_db{uri_of(empty)}.schema_version() == 0);  // and created nothing
  BOOST_CHECK_THROW(storage::open_existing_sessions("postgres:" + pg.uri("no_such_db")),
                    storage::storage_error);
  auto spec = pg.new_database();
  storage::open_storage(spec).sessions->append_turn(domain::new_session_info("s", "", "u", 1),
                                                    {{role::user, "q", 1}});
  auto d = storage::open_existing_sessions(spec)->dump("s");
  BOOST_REQUIRE(d);
  BOOST_TEST(d->messages.size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_unreachable_server_fails_fast_and_is_retried_after_a_backoff) {
  auto& pg = testing::pg_server::shared();
  auto spec = pg.new_database();
  auto stores = storage::open_storage(spec);
  testing::add_agent(*stores.agents, "x");
  stores.sessions->append_turn(domain::new_session_info("s", "x", "u", 1), {{role::user, "q", 1}});
  BOOST_TEST(stores.agents->count() == 1u);
  BOOST_TEST(stores.sessions->count() == 1u);
  pg.stop();
  BOOST_CHECK_THROW(stores.usage->probe_write(), storage::storage_error);
  BOOST_CHECK_THROW(stores.agents->get("a"), storage::storage_error);  // the connection died
  auto began = std::chrono::steady_clock::now();
  BOOST_CHECK_THROW(stores.agents->get("a"), storage::storage_error);  // reconnect refused
  BOOST_CHECK_THROW(stores.agents->get("a"), storage::storage_error);  // within the backoff
  BOOST_TEST((std::chrono::steady_clock::now() - began < std::chrono::seconds(1)));
  // Health still answers: the last counts, not an error.
  BOOST_TEST(stores.agents->count() == 1u);
  BOOST_TEST(stores.sessions->count() == 1u);
  pg.start();
  bool back = false;
  for (int i = 0; i < 40 && !back; ++i) {
    try {
      back = !stores.agents->get("a");
    } catch (const storage::storage_error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  BOOST_TEST(back);
  BOOST_TEST(stores.usage->probe_write());  // health's way back without a turn
  BOOST_CHECK_THROW(storage::open_storage("postgres:postgresql://troupe@127.0.0.1:1/x"),
                    storage::storage_error);
}

#else

BOOST_AUTO_TEST_CASE(skipped_without_postgresql) {
  BOOST_TEST_MESSAGE("SKIPPED: PostgreSQL server binaries were not found at configure time");
}

#endif
