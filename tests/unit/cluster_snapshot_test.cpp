#define BOOST_TEST_MODULE cluster_snapshot
#include "domain/cluster/cluster_snapshot.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <atomic>
#include <thread>

#include "domain/cluster/rendezvous.hpp"

using namespace troupe;

namespace {

domain::cluster_member member(std::string id, bool up) {
  domain::cluster_member m;
  m.node_id = std::move(id);
  m.cluster_address = "127.0.0.1:7" + m.node_id.substr(1);
  m.http_address = "127.0.0.1:8" + m.node_id.substr(1);
  m.version = "0.1.0";
  m.started_at_ms = 1000;
  m.last_heartbeat_at_ms = 2000;
  m.live_sessions = 3;
  m.up = up;
  return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(live_members_are_the_up_ones_sorted_and_this_node_always) {
  auto s = domain::make_snapshot("n2", "troupe", {member("n3", true), member("n2", false), member("n1", false)});
  BOOST_TEST(s.members.size() == 3u);
  BOOST_TEST(s.members[0].node_id == "n1");
  BOOST_TEST(s.members[1].up, "this node is up even if its own heartbeat looks old");
  BOOST_TEST((s.live == std::vector<std::string>{"n2", "n3"}));
  // Not in the table yet (before its first read): it still owns everything.
  auto alone = domain::make_snapshot("n9", "troupe", {});
  BOOST_TEST((alone.live == std::vector<std::string>{"n9"}));
  BOOST_TEST(alone.owns("any-session"));
}

BOOST_AUTO_TEST_CASE(the_owner_is_the_rendezvous_owner_over_live_members_only) {
  auto s = domain::make_snapshot("n1", "troupe",
                                 {member("n1", true), member("n2", true), member("n3", false)});
  int mine = 0;
  for (int i = 0; i < 3000; ++i) {
    auto id = "sess-" + std::to_string(i);
    auto owner = s.owner_of(id);
    BOOST_TEST(owner != "n3", "a down member owns nothing");
    BOOST_TEST(owner == *domain::rendezvous_owner(id, {"n1", "n2"}));
    mine += s.owns(id);
  }
  BOOST_TEST(mine > 1300);
  BOOST_TEST(mine < 1700);
  BOOST_TEST(s.find("n3")->cluster_address == "127.0.0.1:73");
  BOOST_TEST(s.find("n4") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_new_id_is_one_this_node_owns) {
  auto s = domain::make_snapshot("n2", "troupe", {member("n1", true), member("n2", true), member("n3", true)});
  for (int i = 0; i < 200; ++i) {
    auto id = domain::new_owned_id(s, "sess-");
    BOOST_TEST(id.rfind("sess-", 0) == 0u);
    BOOST_TEST(s.owner_of(id) == "n2");
  }
}

BOOST_AUTO_TEST_CASE(get_v1_cluster_json) {
  auto s = domain::make_snapshot("n1", "blue", {member("n1", true), member("n2", false)});
  rapidjson::Document d;
  d.Parse(domain::encode_cluster(s).c_str());
  BOOST_REQUIRE(!d.HasParseError());
  BOOST_TEST(d["node_id"].GetString() == std::string("n1"));
  BOOST_TEST(d["cluster_name"].GetString() == std::string("blue"));
  auto& m = d["members"];
  BOOST_REQUIRE(m.Size() == 2u);
  BOOST_TEST(m[1]["node_id"].GetString() == std::string("n2"));
  BOOST_TEST(m[1]["status"].GetString() == std::string("down"));
  BOOST_TEST(m[0]["status"].GetString() == std::string("up"));
  BOOST_TEST(m[0]["cluster_address"].GetString() == std::string("127.0.0.1:71"));
  BOOST_TEST(m[0]["http_address"].GetString() == std::string("127.0.0.1:81"));
  BOOST_TEST(m[0]["live_sessions"].GetUint64() == 3u);
  BOOST_TEST(m[0]["last_heartbeat_at"].GetString() == std::string("1970-01-01T00:00:02.000Z"));
}

// The membership actor swaps the view while HTTP threads and the scheduler
// read it: every reader sees one whole snapshot, never a torn one.
BOOST_AUTO_TEST_CASE(readers_on_several_threads_see_whole_snapshots_while_it_changes) {
  domain::cluster_view view{domain::make_snapshot("n1", "troupe", {member("n1", true)})};
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0}, torn{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto s = view.get();
        // Snapshot k has members n1..nk, all up, and k live ids.
        if (s->live.size() != s->members.size() || s->members.front().node_id != "n1") ++torn;
        s->owner_of("sess-x");
        ++reads;
      }
    });
  for (int k = 1; k <= 2000; ++k) {
    std::vector<domain::cluster_member> ms;
    for (int i = 1; i <= 1 + k % 5; ++i) ms.push_back(member("n" + std::to_string(i), true));
    view.set(domain::make_snapshot("n1", "troupe", std::move(ms)));
  }
  stop = true;
  for (auto& r : readers) r.join();
  BOOST_TEST(torn.load() == 0);
  BOOST_TEST(reads.load() > 0);
}
