#define BOOST_TEST_MODULE pg_cluster_store
// Membership and the event feed of a cluster, on a real PostgreSQL: ages on
// the database's clock, one cluster's rows apart from another's, and agent
// and key writes of any node in the feed.
#include "storage/postgres/pg_cluster_store.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

#include "pg_server.hpp"
#include "storage/storage_factory.hpp"
#include "test_support.hpp"

using namespace troupe;

#ifdef TROUPE_PG_BINDIR

namespace {

constexpr std::int64_t forever = 3600 * 1000;

storage::member_row node(const std::string& id, std::uint64_t live = 0) {
  storage::member_row m;
  m.node_id = id;
  m.cluster_address = id + ":4000";
  m.http_address = id + ":8080";
  m.version = "0.1.0";
  m.live_sessions = live;
  return m;
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

struct fixture {
  std::string spec = testing::pg_server::shared().new_database();
  std::unique_ptr<storage::cluster_store> store = storage::open_cluster_store(spec);
};

domain::api_key key(const std::string& id) {
  domain::api_key k;
  k.id = id;
  k.user_id = "u";
  k.hash = "hash-" + id;
  return k;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_joined_node_is_a_member_with_its_addresses, fixture) {
  store->join("c", node("a", 3));
  auto m = store->members("c", forever);
  BOOST_REQUIRE(m.size() == 1u);
  BOOST_TEST(m[0].node_id == "a");
  BOOST_TEST(m[0].cluster_address == "a:4000");
  BOOST_TEST(m[0].http_address == "a:8080");
  BOOST_TEST(m[0].version == "0.1.0");
  BOOST_TEST(m[0].live_sessions == 3u);
  BOOST_TEST(m[0].started_at_ms == m[0].last_heartbeat_at_ms);
  BOOST_TEST(m[0].heartbeat_age_ms >= 0);
  BOOST_TEST(m[0].heartbeat_age_ms < 5000);
  // The database's clock, in ms since the epoch: near this machine's (same host).
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  BOOST_TEST(std::abs(m[0].started_at_ms - now) < 60000);
}

BOOST_FIXTURE_TEST_CASE(the_heartbeat_age_grows_until_the_next_heartbeat, fixture) {
  store->join("c", node("a"));
  sleep_ms(120);
  auto before = store->members("c", forever);
  BOOST_REQUIRE(before.size() == 1u);
  BOOST_TEST(before[0].heartbeat_age_ms >= 120);
  store->heartbeat("c", "a", 7);
  auto after = store->members("c", forever);
  BOOST_REQUIRE(after.size() == 1u);
  BOOST_TEST(after[0].heartbeat_age_ms < before[0].heartbeat_age_ms);
  BOOST_TEST(after[0].last_heartbeat_at_ms >= before[0].last_heartbeat_at_ms + 120);
  BOOST_TEST(after[0].started_at_ms == before[0].started_at_ms);
  BOOST_TEST(after[0].live_sessions == 7u);
}

BOOST_FIXTURE_TEST_CASE(a_node_that_leaves_is_gone, fixture) {
  store->join("c", node("a"));
  store->join("c", node("b"));
  store->leave("c", "a");
  auto m = store->members("c", forever);
  BOOST_REQUIRE(m.size() == 1u);
  BOOST_TEST(m[0].node_id == "b");
}

BOOST_FIXTURE_TEST_CASE(rows_older_than_keep_are_deleted_with_their_cluster_only, fixture) {
  store->join("c1", node("a"));
  store->join("c2", node("a"));  // the same node id in another cluster
  store->join("c2", node("b"));
  sleep_ms(400);  // margins for a loaded machine
  store->join("c1", node("fresh"));
  auto m = store->members("c1", 200);
  BOOST_REQUIRE(m.size() == 1u);
  BOOST_TEST(m[0].node_id == "fresh");
  BOOST_TEST(store->members("c1", forever).size() == 1u);  // deleted, not only hidden
  auto other = store->members("c2", forever);              // untouched
  BOOST_REQUIRE(other.size() == 2u);
  BOOST_TEST(other[0].node_id == "a");
  BOOST_TEST(other[1].node_id == "b");
  store->leave("c2", "a");
  BOOST_TEST(store->members("c2", forever).size() == 1u);
  BOOST_TEST(store->members("c1", forever).size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_restarted_node_rejoins_with_a_new_start, fixture) {
  store->join("c", node("a"));
  auto first = store->members("c", forever).at(0);
  sleep_ms(20);
  auto restarted = node("a");
  restarted.http_address = "a:9090";
  storage::open_cluster_store(spec)->join("c", restarted);  // a new process
  auto m = store->members("c", forever);
  BOOST_REQUIRE(m.size() == 1u);
  BOOST_TEST(m[0].started_at_ms >= first.started_at_ms + 20);
  BOOST_TEST(m[0].http_address == "a:9090");
}

BOOST_FIXTURE_TEST_CASE(a_heartbeat_puts_back_a_row_pruned_while_the_node_was_silent, fixture) {
  store->join("c", node("a", 1));
  auto first = store->members("c", forever).at(0);
  sleep_ms(30);
  BOOST_TEST(storage::open_cluster_store(spec)->members("c", 10).empty());  // a peer prunes it
  store->heartbeat("c", "a", 2);
  auto m = store->members("c", forever);
  BOOST_REQUIRE(m.size() == 1u);
  BOOST_TEST(m[0].started_at_ms == first.started_at_ms);  // not a restart
  BOOST_TEST(m[0].http_address == "a:8080");
  BOOST_TEST(m[0].live_sessions == 2u);
  BOOST_CHECK_THROW(store->heartbeat("c", "never-joined", 0), storage::storage_error);
}

BOOST_FIXTURE_TEST_CASE(agent_and_key_writes_of_another_node_are_events, fixture) {
  BOOST_TEST(store->latest_event() == 0);
  BOOST_TEST(store->events_after(0).empty());
  auto other = storage::open_storage(spec);  // another node's stores
  testing::add_agent(*other.agents, "ag");
  auto changed = *other.agents->get("ag");
  changed.description = "changed";
  BOOST_TEST((other.agents->update(changed) == storage::write_status::ok));
  BOOST_TEST(other.keys->insert(key("k1")));
  BOOST_TEST(!other.keys->insert(key("k1")));  // refused: no event
  BOOST_TEST((other.agents->insert(changed) == storage::write_status::duplicate_id));
  BOOST_TEST(other.keys->update(key("k1")));
  BOOST_TEST(other.keys->remove("k1"));
  BOOST_TEST(other.agents->remove("ag"));
  BOOST_TEST(!other.agents->remove("ag"));
  auto e = store->events_after(0);
  BOOST_REQUIRE(e.size() == 6u);
  const char* kinds[] = {"agent", "agent", "key", "key", "key", "agent"};
  for (std::size_t i = 0; i < e.size(); ++i) {
    BOOST_TEST(e[i].kind == kinds[i]);
    BOOST_TEST(e[i].id == (e[i].kind == "agent" ? "ag" : "k1"));
    if (i > 0) BOOST_TEST(e[i].seq > e[i - 1].seq);
  }
  BOOST_TEST(store->latest_event() == e.back().seq);
  BOOST_TEST(store->events_after(e.back().seq).empty());
  auto tail = store->events_after(e[3].seq);
  BOOST_REQUIRE(tail.size() == 2u);
  BOOST_TEST(tail[0].seq == e[4].seq);
}

BOOST_FIXTURE_TEST_CASE(events_come_at_most_a_thousand_at_a_time, fixture) {
  storage::pg_db db{*storage::postgres_uri_of(spec)};
  db.exec(
      "INSERT INTO cluster_events (kind, id) SELECT 'agent', 'a' || n "
      "FROM generate_series(1, 1005) AS n;");
  auto first = store->events_after(0);
  BOOST_REQUIRE(first.size() == 1000u);
  BOOST_TEST(first.back().id == "a1000");
  auto rest = store->events_after(first.back().seq);
  BOOST_REQUIRE(rest.size() == 5u);
  BOOST_TEST(rest.back().seq == store->latest_event());
}

BOOST_AUTO_TEST_CASE(a_cluster_needs_postgres_storage) {
  for (const char* spec : {"memory", "sqlite:/tmp/x.db", "bogus"}) {
    try {
      storage::open_cluster_store(spec);
      BOOST_FAIL("opened a cluster store on " << spec);
    } catch (const storage::storage_error& e) {
      BOOST_TEST(std::string(e.what()).find("--storage=postgres:URI") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_call_fails_while_the_server_is_away) {
  auto& pg = testing::pg_server::shared();
  auto store = storage::open_cluster_store(pg.new_database());
  store->join("c", node("a"));
  pg.stop();
  BOOST_CHECK_THROW(store->heartbeat("c", "a", 0), storage::storage_error);
  BOOST_CHECK_THROW(store->members("c", forever), storage::storage_error);
  BOOST_CHECK_THROW(store->latest_event(), storage::storage_error);
  pg.start();
}

#else

BOOST_AUTO_TEST_CASE(skipped_without_postgresql) {
  BOOST_TEST_MESSAGE("SKIPPED: PostgreSQL server binaries were not found at configure time");
}

#endif
