#define BOOST_TEST_MODULE key_repository
#include <boost/test/unit_test.hpp>

#include "actors/errors.hpp"
#include "actors/key_repository.hpp"
#include "actors/usage_repository.hpp"
#include "domain/core/clock.hpp"
#include "domain/keys/key_secret.hpp"
#include "storage/storage_factory.hpp"
#include "test_support.hpp"

using namespace troupe;
using namespace std::chrono_literals;

namespace {

template <class Reply, class Handle, class Msg>
Reply ask(caf::scoped_actor& self, const Handle& dest, Msg msg) {
  Reply out{};
  self->request(dest, 10s, std::move(msg))
      .receive([&](Reply& r) { out = std::move(r); },
               [&](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  return out;
}

domain::key_patch patch(std::string_view json, bool create = true) {
  return domain::parse_key_patch(json, create, domain::now_ms());
}

}  // namespace

BOOST_AUTO_TEST_CASE(writes_reach_the_directory_before_the_answer) {
  testing::temp_dir dir;
  auto b = storage::open_storage("sqlite:" + dir.file("k.db"));
  auto directory = std::make_shared<domain::key_directory>();
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto repo = actors::spawn_key_repository(sys, std::move(b.keys), directory);
  caf::scoped_actor self{sys};
  auto created = ask<actors::key_created>(self, repo, actors::create_key{patch(R"({"user_id":"alice","rpm":5})")});
  BOOST_TEST(domain::looks_like_user_key(created.secret));
  auto found = directory->find(domain::sha256_hex(created.secret));
  BOOST_REQUIRE(found.has_value());
  BOOST_TEST(found->key->user_id == "alice");
  auto updated = ask<actors::key_reply>(
      self, repo, actors::update_key{created.key.id, patch(R"({"rpm":9})", false)});
  BOOST_TEST(*updated.key.limits.rpm == 9);
  BOOST_TEST(*directory->find(created.key.hash)->key->limits.rpm == 9);
  BOOST_TEST(ask<actors::deleted>(self, repo, actors::delete_key{created.key.id}).existed);
  BOOST_TEST(!directory->find(created.key.hash));  // revoked for the very next request
  self->request(repo, 10s, actors::update_key{created.key.id, patch("{}", false)})
      .receive([](actors::key_reply&) { BOOST_FAIL("a deleted key was updated"); },
               [](caf::error& e) { BOOST_TEST(actors::to_api_error(e).status == 404); });
  self->send_exit(repo, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(start_up_loads_keys_and_what_their_budget_already_spent) {
  testing::temp_dir dir;
  auto spec = "sqlite:" + dir.file("k.db");
  auto now = domain::now_ms();
  domain::api_key k = domain::apply_key_patch(patch(R"({"user_id":"alice","token_budget":100})"), {});
  k.id = "key-1";
  k.hash = domain::sha256_hex("tr-x");
  {
    auto b = storage::open_storage(spec);
    b.keys->insert(k);
    domain::usage_entry spent{domain::utc_day(now), "alice", "key-1", "demo", {}};
    spent.counts.requests = 3;
    spent.counts.completion_tokens = 100;
    b.usage->add({spent});
  }
  auto b = storage::open_storage(spec);
  domain::key_directory directory;
  actors::load_keys(*b.keys, *b.usage, directory, now);
  auto grant = directory.find(k.hash);
  BOOST_REQUIRE(grant.has_value());
  BOOST_TEST((grant->meter->admit(grant->key->limits, now).refused == domain::limit_refusal::budget));
}

BOOST_AUTO_TEST_CASE(usage_is_written_in_batches_read_fresh_and_kept_on_shutdown) {
  testing::temp_dir dir;
  auto spec = "sqlite:" + dir.file("u.db");
  auto meter = std::make_shared<domain::usage_meter>();
  domain::usage_counts one;
  one.requests = 1;
  one.prompt_tokens = 4;
  {
    caf::actor_system_config cfg;
    caf::actor_system sys{cfg};
    std::shared_ptr<storage::usage_store> store = storage::open_storage(spec).usage;
    // An interval no test waits for: only a query or the shutdown writes.
    auto repo = actors::spawn_usage_repository(sys, store, meter, 1h);
    caf::scoped_actor self{sys};
    meter->add("alice", "key-1", "demo", domain::now_ms(), one);
    auto report = ask<actors::usage_report>(self, repo, actors::query_usage{});
    BOOST_REQUIRE(report.groups.size() == 1u);
    BOOST_TEST(report.groups[0].counts.requests == 1);
    meter->add("alice", "key-1", "demo", domain::now_ms(), one);
    self->send_exit(repo, caf::exit_reason::user_shutdown);
  }
  auto stored = storage::open_storage(spec).usage->query({});
  BOOST_REQUIRE(stored.size() == 1u);
  BOOST_TEST(stored[0].counts.requests == 2);
  BOOST_TEST(stored[0].counts.prompt_tokens == 8);
}
