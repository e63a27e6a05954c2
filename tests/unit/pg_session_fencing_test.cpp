#define BOOST_TEST_MODULE pg_session_fencing
// Session ownership in a cluster, on a real PostgreSQL: a claim deposes the
// earlier owner, whose turns are then refused (fenced) and never stored,
// even when two nodes race on two connections.
#include <boost/test/unit_test.hpp>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "pg_server.hpp"
#include "storage/postgres/pg_session_store.hpp"
#include "storage/storage_factory.hpp"
#include "test_support.hpp"

using namespace troupe;
using domain::role;

namespace {

storage::turn_write turn(const std::string& id, const std::string& node, std::uint64_t epoch,
                         const std::string& text) {
  storage::turn_write t;
  t.info = domain::new_session_info(id, "a", "u", 1);
  t.messages = {{role::user, text + ":q", 1}, {role::assistant, text + ":r", 1}};
  t.owner_epoch = epoch;
  t.owner_node = node;
  return t;
}

bool fenced(const std::string& failure) { return failure.rfind(storage::fenced_prefix, 0) == 0; }

}  // namespace

BOOST_AUTO_TEST_CASE(memory_and_sqlite_do_not_fence) {
  testing::temp_dir dir;
  BOOST_TEST(storage::open_storage("memory").sessions->claim("s", "a") == 0u);
  BOOST_TEST(storage::open_storage("sqlite:" + dir.file("f.db")).sessions->claim("s", "a") == 0u);
}

#ifdef TROUPE_PG_BINDIR

namespace {

struct fixture {
  std::string spec = testing::pg_server::shared().new_database();
  storage::backends stores = storage::open_storage(spec);
  storage::session_store& sessions = *stores.sessions;
  std::size_t owner_rows() {
    storage::pg_db db{*storage::postgres_uri_of(spec)};
    return static_cast<std::size_t>(db.query("SELECT COUNT(*) FROM session_owners;").integer(0, 0));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(the_first_claim_is_epoch_one_and_each_claim_deposes_the_last, fixture) {
  BOOST_TEST(sessions.claim("s", "a") == 1u);
  BOOST_TEST(sessions.claim("s", "b") == 2u);
  BOOST_TEST(sessions.claim("s", "b") == 3u);  // a node re-claiming deposes its old epoch too
  BOOST_TEST(sessions.claim("t", "a") == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_deposed_owner_is_fenced_and_stores_nothing, fixture) {
  auto a = sessions.claim("s", "a");
  BOOST_TEST(sessions.append_turns({turn("s", "a", a, "a1")})[0] == "");
  auto b = sessions.claim("s", "b");
  auto failed = sessions.append_turns({turn("s", "a", a, "a2")});
  BOOST_TEST(fenced(failed[0]), failed[0]);
  BOOST_TEST(failed[0] == "fenced: session s is owned by node b now (epoch 2)");
  BOOST_TEST(sessions.get("s")->message_count == 2);
  BOOST_TEST(sessions.append_turns({turn("s", "b", b, "b1")})[0] == "");
  auto h = sessions.history("s", 10);
  BOOST_REQUIRE(h.size() == 4u);
  BOOST_TEST(h[1].content == "a1:r");
  BOOST_TEST(h[2].content == "b1:q");
  BOOST_TEST(fenced(sessions.append_turns({turn("s", "a", a, "a3")})[0]));  // and stays deposed
  BOOST_TEST(sessions.history("s", 10).size() == 4u);
}

BOOST_FIXTURE_TEST_CASE(a_fenced_first_turn_creates_no_session, fixture) {
  auto a = sessions.claim("s", "a");
  sessions.claim("s", "b");
  BOOST_TEST(fenced(sessions.append_turns({turn("s", "a", a, "a1")})[0]));
  BOOST_TEST(!sessions.get("s"));
  BOOST_TEST(sessions.count() == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_group_commit_stores_the_good_turns_beside_a_fenced_one, fixture) {
  auto a = sessions.claim("s", "a");
  auto b = sessions.claim("s", "b");
  auto c = sessions.claim("t", "a");
  auto failed = sessions.append_turns(
      {turn("s", "a", a, "a1"), turn("s", "b", b, "b1"), turn("t", "a", c, "a2")});
  BOOST_TEST(fenced(failed[0]));
  BOOST_TEST(failed[1] == "");
  BOOST_TEST(failed[2] == "");
  BOOST_TEST(sessions.commits() == 1u);
  auto h = sessions.history("s", 10);
  BOOST_REQUIRE(h.size() == 2u);
  BOOST_TEST(h[0].content == "b1:q");
  BOOST_TEST(sessions.history("t", 10).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_turn_without_an_epoch_is_not_checked, fixture) {
  sessions.claim("s", "b");
  BOOST_TEST(sessions.append_turns({turn("s", "a", 0, "single")})[0] == "");
  BOOST_TEST(sessions.history("s", 10).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(removing_a_session_removes_its_owner, fixture) {
  auto a = sessions.claim("s", "a");
  BOOST_TEST(sessions.append_turns({turn("s", "a", a, "a1")})[0] == "");
  BOOST_TEST(sessions.remove("s"));
  BOOST_TEST(owner_rows() == 0u);
  // A turn of the removed session's last owner does not bring it back.
  auto failed = sessions.append_turns({turn("s", "a", a, "a2")});
  BOOST_TEST(failed[0] == "fenced: session s has no owner now (it was removed)");
  BOOST_TEST(!sessions.get("s"));
  BOOST_TEST(sessions.claim("s", "b") == 1u);

  for (const char* id : {"x", "y"}) {
    auto e = sessions.claim(id, "a");
    BOOST_TEST(sessions.append_turns({turn(id, "a", e, "t")})[0] == "");
  }
  sessions.claim("z", "a");  // another agent's: stays
  auto t = turn("z", "a", 0, "t");
  t.info.agent_id = "other";
  sessions.append_turns({t});
  BOOST_TEST(sessions.remove_by_agent("a").size() == 2u);
  BOOST_TEST(owner_rows() == 2u);  // z's, and b's claim of s (no session yet)
}

BOOST_FIXTURE_TEST_CASE(nodes_racing_on_two_connections_never_interleave_a_history, fixture) {
  auto uri = *storage::postgres_uri_of(spec);
  storage::pg_session_store node_a{uri}, node_b{uri};
  std::mutex mu;
  std::map<std::uint64_t, std::string> claims;  // epoch → node
  int fences = 0;
  std::vector<std::string> other_failures;  // Boost.Test is not called from the threads
  auto run = [&](storage::session_store& store, const std::string& me) {
    for (int round = 0; round < 30; ++round) {
      auto epoch = store.claim("s", me);
      {
        std::lock_guard<std::mutex> g{mu};
        claims[epoch] = me;
      }
      for (int j = 0; j < 4; ++j) {
        std::ostringstream text;
        text << me << ':' << epoch << ':' << j;
        auto failed = store.append_turns({turn("s", me, epoch, text.str())});
        if (failed[0].empty()) continue;
        std::lock_guard<std::mutex> g{mu};
        if (fenced(failed[0]))
          ++fences;
        else
          other_failures.push_back(failed[0]);
        break;
      }
    }
  };
  std::thread ta{run, std::ref(node_a), "a"}, tb{run, std::ref(node_b), "b"};
  ta.join();
  tb.join();
  BOOST_TEST_MESSAGE("turns fenced during the race: " << fences);
  BOOST_TEST(other_failures.empty(), (other_failures.empty() ? "" : other_failures[0]));
  BOOST_REQUIRE(claims.size() == 60u);  // every claim a new epoch
  BOOST_TEST(claims.rbegin()->first == 60u);
  auto h = sessions.history("s", 100000);
  BOOST_REQUIRE(!h.empty());
  BOOST_REQUIRE(h.size() % 2 == 0u);
  std::uint64_t last_epoch = 0;
  int next_j = 0;
  for (std::size_t i = 0; i < h.size(); i += 2) {
    std::string node;
    std::uint64_t epoch = 0;
    int j = 0;
    char colon = 0;
    std::istringstream in(h[i].content);
    std::getline(in, node, ':');
    in >> epoch >> colon >> j;
    BOOST_TEST(h[i + 1].content == h[i].content.substr(0, h[i].content.size() - 1) + "r");
    BOOST_TEST(claims[epoch] == node);  // only the owner of that epoch wrote
    BOOST_TEST(epoch >= last_epoch);    // never an older owner after a newer one
    if (epoch != last_epoch) next_j = 0;
    BOOST_TEST(j == next_j);  // an owner's turns in order, none lost between
    ++next_j;
    last_epoch = epoch;
  }
}

#endif
