#define BOOST_TEST_MODULE key_store
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "storage/memory_key_store.hpp"
#include "storage/memory_usage_store.hpp"
#include "storage/sqlite_db.hpp"
#include "storage/storage_factory.hpp"
#include "test_support.hpp"
#include "pg_server.hpp"

using namespace troupe;

namespace {

domain::api_key key(std::string id, std::string user, std::string hash) {
  domain::api_key k;
  k.id = std::move(id);
  k.user_id = std::move(user);
  k.hash = std::move(hash);
  k.prefix = "tr-" + k.hash.substr(0, 8);
  k.created_at_ms = 1764547200000;
  return k;
}

domain::usage_entry row(std::string day, std::string user, std::string key_id, std::string agent,
                        std::int64_t requests, std::int64_t tokens) {
  domain::usage_entry e{std::move(day), std::move(user), std::move(key_id), std::move(agent), {}};
  e.counts.requests = requests;
  e.counts.prompt_tokens = tokens;
  return e;
}

struct memory_backend {
  std::unique_ptr<storage::key_store> keys = std::make_unique<storage::memory_key_store>();
  std::unique_ptr<storage::usage_store> usage = std::make_unique<storage::memory_usage_store>();
};
struct sqlite_backend {
  testing::temp_dir dir;
  storage::backends b = storage::open_storage("sqlite:" + dir.file("k.db"));
  std::unique_ptr<storage::key_store>& keys = b.keys;
  std::unique_ptr<storage::usage_store>& usage = b.usage;
};
#ifdef TROUPE_PG_BINDIR
struct postgres_backend {
  storage::backends b = storage::open_storage(testing::pg_server::shared().new_database());
  std::unique_ptr<storage::key_store>& keys = b.keys;
  std::unique_ptr<storage::usage_store>& usage = b.usage;
};
using backends = boost::mpl::list<memory_backend, sqlite_backend, postgres_backend>;
#else
using backends = boost::mpl::list<memory_backend, sqlite_backend>;
#endif

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(keys_are_unique_by_id_and_hash, B, backends) {
  B b;
  BOOST_TEST(b.keys->insert(key("k1", "alice", "aaaa1111")));
  BOOST_TEST(!b.keys->insert(key("k1", "bob", "bbbb2222")));
  BOOST_TEST(!b.keys->insert(key("k2", "bob", "aaaa1111")));
  BOOST_TEST(b.keys->insert(key("k2", "bob", "bbbb2222")));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(keys_update_remove_and_list_in_creation_order, B, backends) {
  B b;
  b.keys->insert(key("k1", "alice", "h1"));
  b.keys->insert(key("k2", "bob", "h2"));
  b.keys->insert(key("k3", "alice", "h3"));
  auto k = *b.keys->get("k1");
  k.limits.rpm = 42;
  BOOST_TEST(b.keys->update(k));
  BOOST_TEST(*b.keys->get("k1")->limits.rpm == 42);
  BOOST_TEST(!b.keys->update(key("nope", "x", "h9")));
  domain::key_query q;
  q.user_id = "alice";
  auto alice = b.keys->list(q);
  BOOST_REQUIRE(alice.size() == 2u);
  BOOST_TEST(alice[0].id == "k1");
  BOOST_TEST(alice[1].id == "k3");
  domain::key_query page;
  page.limit = 1;
  page.offset = 1;
  BOOST_TEST(b.keys->list(page)[0].id == "k2");
  BOOST_TEST(b.keys->remove("k2"));
  BOOST_TEST(!b.keys->remove("k2"));
  BOOST_TEST(!b.keys->get("k2"));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(usage_adds_up_per_day_user_key_and_agent, B, backends) {
  B b;
  b.usage->add({row("2025-12-01", "alice", "k1", "demo", 1, 10), row("2025-12-01", "bob", "k2", "demo", 1, 1)});
  b.usage->add({row("2025-12-01", "alice", "k1", "demo", 2, 20), row("2025-12-02", "alice", "k1", "helper", 1, 5)});
  domain::usage_query by_day;
  by_day.user_id = "alice";
  by_day.group_by = domain::usage_group::day;
  auto days = b.usage->query(by_day);
  BOOST_REQUIRE(days.size() == 2u);
  BOOST_TEST(days[0].group == "2025-12-01");
  BOOST_TEST(days[0].counts.requests == 3);
  BOOST_TEST(days[0].counts.prompt_tokens == 30);
  domain::usage_query all;
  all.from = "2025-12-02";
  auto total = b.usage->query(all);
  BOOST_REQUIRE(total.size() == 1u);
  BOOST_TEST(total[0].counts.requests == 1);
  domain::usage_query none;
  none.key_id = "nobody";
  BOOST_TEST(b.usage->query(none).empty());
  domain::usage_query by_key;
  by_key.group_by = domain::usage_group::key;
  BOOST_TEST(b.usage->query(by_key).size() == 2u);
}

BOOST_AUTO_TEST_CASE(keys_and_usage_survive_a_reopen) {
  testing::temp_dir dir;
  auto spec = "sqlite:" + dir.file("k.db");
  {
    auto b = storage::open_storage(spec);
    b.keys->insert(key("k1", "alice", "h1"));
    b.usage->add({row("2025-12-01", "alice", "k1", "demo", 1, 10)});
  }
  auto b = storage::open_storage(spec);
  BOOST_TEST(b.keys->get("k1")->user_id == "alice");
  BOOST_TEST(b.usage->query({}).at(0).counts.prompt_tokens == 10);
}

BOOST_AUTO_TEST_CASE(a_version_3_database_is_migrated_to_keys_and_usage) {
  testing::temp_dir dir;
  auto path = dir.file("old.db");
  storage::open_storage("sqlite:" + path);
  {  // back to what a build with schema 3 left behind
    storage::sqlite_db db{path};
    db.exec("DROP TABLE api_keys; DROP TABLE usage_daily; DROP TABLE turn_keys; "
            "DELETE FROM schema_version WHERE version >= 4;");
    BOOST_TEST(db.schema_version() == 3);
  }
  auto b = storage::open_storage("sqlite:" + path);
  BOOST_TEST(b.keys->insert(key("k1", "alice", "h1")));
  BOOST_TEST(storage::sqlite_db{path}.schema_version() == 5);
}
