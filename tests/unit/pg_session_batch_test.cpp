#define BOOST_TEST_MODULE pg_session_batch
// A group commit on PostgreSQL: how many round trips it costs, and that a
// failing turn anywhere in a batch fails alone, stores nothing of itself and
// leaves the others (before and after it) exactly as a batch without it.
#include <boost/test/unit_test.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "domain/openai/message_codec.hpp"
#include "pg_server.hpp"
#include "storage/postgres/pg_session_store.hpp"
#include "storage/storage_factory.hpp"
#include "test_support.hpp"

using namespace troupe;
using domain::role;

#ifdef TROUPE_PG_BINDIR

namespace {

storage::turn_write turn(const std::string& id, const std::string& text) {
  storage::turn_write t;
  t.info = domain::new_session_info(id, "a", "u", 1);
  t.messages = {{role::user, text + ":q", 1}, {role::assistant, text + ":r", 2}};
  return t;
}

struct fixture {
  std::string spec = testing::pg_server::shared().new_database();
  storage::backends stores = storage::open_storage(spec);  // migrates
  storage::pg_session_store store{*storage::postgres_uri_of(spec)};
};

std::string sid(int i) { return "s" + std::to_string(i); }

domain::message_list wire(const std::string& json_array) {
  rapidjson::Document d;
  d.Parse(json_array.c_str());
  return domain::read_messages(d);
}

// Turns that use every column: rich messages, NUL bytes, text that array
// literals must quote, item ids, responses (one listing an item twice), a
// session written twice in the batch, a turn without messages.
std::vector<storage::turn_write> varied_turns() {
  std::vector<storage::turn_write> out;
  auto a = turn("a", "first");
  a.item_ids = {"", "msg_a_1"};
  a.response = domain::response_record{"resp_a", "a", "u", 2, 5, R"({"id":"resp_a"})", "[]",
                                      {"msg_a_1", "msg_a_1"}};
  out.push_back(a);
  auto b = turn("b", "x");
  b.info.agent_id = "";
  b.messages = {{role::user, std::string("nul\0byte", 8), 3},
                {role::assistant, R"(a "quoted", {braced} \ back\slash, NULL)", 4},
                {role::user, "NULL", 5},
                {role::assistant, "", 6}};
  b.info.conv_hash = 42;
  out.push_back(b);
  auto rich = turn("a", "second");
  rich.messages = wire(R"([
    {"role":"user","name":"ann","content":[{"type":"text","text":"what is this?"}]},
    {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
      "function":{"name":"look","arguments":"{\"at\":\"image\"}"}}]},
    {"role":"tool","tool_call_id":"call_1","content":"a cat"}])");
  rich.item_ids = {"msg_r_0"};  // fewer ids than messages: the rest derived
  rich.info.last_activity_ms = 77;
  rich.info.conv_hash = static_cast<std::uint64_t>(-5);  // stored as a negative BIGINT
  out.push_back(rich);
  auto empty = turn("c", "none");
  empty.messages.clear();
  out.push_back(empty);
  auto b2 = turn("b", "y");
  b2.info.agent_id = "late";  // b was made without an agent: it takes this one
  out.push_back(b2);
  return out;
}

// What a reader sees of a session, as text to compare two stores by.
std::string state_of(storage::session_store& s, const std::string& id) {
  std::ostringstream out;
  auto info = s.get(id);
  if (!info) return "none";
  out << info->agent_id << '|' << info->user_id << '|' << info->created_at_ms << '|'
      << info->last_activity_ms << '|' << info->message_count << '|' << info->conv_hash << '|'
      << info->metadata_json << '|' << info->next_position << '\n';
  for (auto& item : s.items(id))
    out << item.id << ' ' << domain::encode_message(item.message) << ' '
        << item.message.created_at_ms << '\n';
  return out.str();
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(round_trips_per_turn_of_a_group_commit, fixture) {
  constexpr int n = 30;
  std::vector<storage::turn_write> first, plain, owned;
  for (int i = 0; i < n; ++i) {
    first.push_back(turn(sid(i), "1"));
    plain.push_back(turn(sid(i), "2"));
    auto t = turn(sid(i), "3");
    t.owner_node = "n1";
    t.owner_epoch = store.claim(sid(i), "n1");
    owned.push_back(t);
  }
  store.append_turns(first);  // creates the sessions, prepares the statements
  auto before = store.round_trips();
  for (auto& f : store.append_turns(plain)) BOOST_TEST(f == "");
  auto plain_trips = store.round_trips() - before;
  before = store.round_trips();
  for (auto& f : store.append_turns(owned)) BOOST_TEST(f == "");
  auto owned_trips = store.round_trips() - before;
  BOOST_TEST_MESSAGE("round trips for a batch of " << n << " turns of 2 messages: " << plain_trips
                                                   << " (" << double(plain_trips) / n
                                                   << " per turn); with owner epochs: "
                                                   << owned_trips << " ("
                                                   << double(owned_trips) / n << " per turn)");
  // One round trip for the turns (pipelined), one for COMMIT.
  BOOST_TEST(plain_trips == 2u);
  BOOST_TEST(owned_trips == 2u);
  BOOST_TEST(store.history(sid(7), 10).size() == 6u);
}

BOOST_FIXTURE_TEST_CASE(a_batch_stores_what_sqlite_stores, fixture) {
  testing::temp_dir dir;
  auto sqlite = storage::open_storage("sqlite:" + dir.file("t.db")).sessions;
  auto turns = varied_turns();
  for (auto& f : store.append_turns(turns)) BOOST_TEST(f == "");
  for (auto& f : sqlite->append_turns(turns)) BOOST_TEST(f == "");
  BOOST_TEST(store.commits() == 1u);
  BOOST_TEST(store.count() == 3u);
  for (const char* id : {"a", "b", "c"}) BOOST_TEST(state_of(store, id) == state_of(*sqlite, id));
  auto r = store.get_response("resp_a");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->body == R"({"id":"resp_a"})");
  BOOST_TEST(r->end_count == 2);
  BOOST_TEST(*store.session_of_item("msg_a_1") == "a");
  BOOST_TEST(store.history("b", 10)[0].content == std::string("nul\0byte", 8));
}

// A turn the server refuses (bytes that are no UTF-8) anywhere in a batch:
// at the session row, after it (the session made in that turn goes too),
// on a session other turns of the batch write, first, last, twice in a row.
BOOST_FIXTURE_TEST_CASE(turns_the_server_refuses_fail_alone_wherever_they_are, fixture) {
  testing::temp_dir dir;
  auto sqlite = storage::open_storage("sqlite:" + dir.file("t.db")).sessions;
  const std::string bad = "\xff\xfe";
  auto bad_row = turn("new1", "r");
  bad_row.info.user_id = bad;
  auto bad_body_new = turn("new2", "m");
  bad_body_new.messages[1].content = bad;
  auto bad_body_old = turn("a", "m");
  bad_body_old.messages[0].content = bad;
  auto bad_response = turn("a", "resp");
  bad_response.response = domain::response_record{"resp_x", "a", "u", 2, 5, bad, "[]", {}};
  std::vector<storage::turn_write> good = varied_turns();
  std::vector<storage::turn_write> batch{bad_body_old};  // first (a does not exist yet)
  std::vector<bool> fails{true};
  for (std::size_t i = 0; i < good.size(); ++i) {
    batch.push_back(good[i]);
    fails.push_back(false);
    if (i == 0) {
      for (auto* t : {&bad_row, &bad_body_new, &bad_body_old}) {  // three in a row
        batch.push_back(*t);
        fails.push_back(true);
      }
    }
    if (i == 2) {
      batch.push_back(bad_response);
      fails.push_back(true);
    }
  }
  batch.push_back(bad_row);  // last
  fails.push_back(true);
  auto failed = store.append_turns(batch);
  BOOST_REQUIRE(failed.size() == batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    BOOST_TEST(failed[i].empty() == !fails[i], "turn " << i << ": " << failed[i]);
    if (fails[i]) BOOST_TEST(failed[i].rfind("postgres: ", 0) == 0u, failed[i]);
  }
  BOOST_TEST(store.commits() == 1u);
  BOOST_TEST(store.count() == 3u);
  BOOST_TEST(!store.get("new1"));
  BOOST_TEST(!store.get("new2"));
  BOOST_TEST(!store.get_response("resp_x"));
  sqlite->append_turns(good);
  for (const char* id : {"a", "b", "c"}) BOOST_TEST(state_of(store, id) == state_of(*sqlite, id));
  // The connection is fine for the next batch.
  for (auto& f : store.append_turns({turn("a", "after")})) BOOST_TEST(f == "");
  BOOST_TEST(store.get("a")->message_count == 7);
}

#else

BOOST_AUTO_TEST_CASE(skipped_without_postgresql) {
  BOOST_TEST_MESSAGE("SKIPPED: PostgreSQL server binaries were not found at configure time");
}

#endif
