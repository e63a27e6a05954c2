#define BOOST_TEST_MODULE session_store
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include "storage/memory_session_store.hpp"
#include "storage/sqlite_session_store.hpp"
#include "storage/storage_factory.hpp"
#include <filesystem>
#include <fstream>

#include "domain/openai/message_codec.hpp"
#include "test_support.hpp"
#include "pg_server.hpp"

using namespace troupe;
using domain::role;

namespace {

domain::session_info info(std::string id, std::string agent, std::string user) {
  return domain::new_session_info(std::move(id), std::move(agent), std::move(user), 1);
}

storage::turn_write turn(domain::session_info i, domain::message_list m) {
  storage::turn_write t;
  t.info = std::move(i);
  t.messages = std::move(m);
  return t;
}

// A request's messages as the codec reads them (the same path as a real turn).
domain::message_list wire(const std::string& json_array) {
  rapidjson::Document d;
  d.Parse(json_array.c_str());
  return domain::read_messages(d);
}

// The same contract for every backend.
struct memory_backend {
  std::unique_ptr<storage::session_store> open() { return std::make_unique<storage::memory_session_store>(); }
};
struct sqlite_backend {
  testing::temp_dir dir;
  std::unique_ptr<storage::session_store> open() { return storage::open_storage("sqlite:" + dir.file("t.db")).sessions; }
};
#ifdef TROUPE_PG_BINDIR
struct postgres_backend {
  std::string spec = testing::pg_server::shared().new_database();
  std::unique_ptr<storage::session_store> open() { return storage::open_storage(spec).sessions; }
};
using backends = boost::mpl::list<memory_backend, sqlite_backend, postgres_backend>;
#else
using backends = boost::mpl::list<memory_backend, sqlite_backend>;
#endif

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(turns_append_in_order, B, backends) {
  B b;
  auto s = b.open();
  s->append_turn(info("s1", "a", "u"), {{role::user, "q1", 1}, {role::assistant, "r1", 1}});
  auto later = info("s1", "a", "u");
  later.last_activity_ms = 9;
  s->append_turn(later, {{role::user, "q2", 2}, {role::assistant, "r2", 2}});
  auto got = s->get("s1");
  BOOST_REQUIRE(got);
  BOOST_TEST(got->message_count == 4);
  BOOST_TEST(got->last_activity_ms == 9);
  BOOST_TEST(got->user_id == "u");
  auto h = s->history("s1", 3);
  BOOST_REQUIRE(h.size() == 3u);
  BOOST_TEST(h[0].content == "r1");
  BOOST_TEST((h[1].role == role::user));
  BOOST_TEST(h[2].content == "r2");
  BOOST_TEST(h[2].created_at_ms == 2);
  BOOST_TEST(s->history("s1", 100).size() == 4u);
  BOOST_TEST(s->history("nope", 5).empty());
  BOOST_TEST(s->count() == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(list_filters_and_pages_in_creation_order, B, backends) {
  B b;
  auto s = b.open();
  for (int i = 0; i < 5; ++i)
    s->append_turn(info("s" + std::to_string(i), i % 2 ? "odd" : "even", i < 2 ? "ann" : "bob"),
                   {{role::user, "x", 1}});
  domain::session_query q;
  BOOST_TEST(s->list(q).size() == 5u);
  q.agent_id = "even";
  auto even = s->list(q);
  BOOST_REQUIRE(even.size() == 3u);
  BOOST_TEST(even[1].id == "s2");
  q.offset = 1;
  q.limit = 1;
  auto page = s->list(q);
  BOOST_REQUIRE(page.size() == 1u);
  BOOST_TEST(page[0].id == "s2");
  domain::session_query by_user;
  by_user.user_id = "ann";
  BOOST_TEST(s->list(by_user).size() == 2u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(remove_and_remove_by_agent, B, backends) {
  B b;
  auto s = b.open();
  s->append_turn(info("a1", "A", ""), {{role::user, "x", 1}});
  s->append_turn(info("a2", "A", ""), {{role::user, "x", 1}});
  s->append_turn(info("b1", "B", ""), {{role::user, "x", 1}});
  BOOST_TEST(s->remove("b1"));
  BOOST_TEST(!s->remove("b1"));
  BOOST_TEST(!s->get("b1"));
  BOOST_TEST(s->history("b1", 10).empty());
  BOOST_TEST(s->remove_by_agent("A").size() == 2u);
  BOOST_TEST(s->count() == 0u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_batch_stores_every_turn, B, backends) {
  B b;
  auto s = b.open();
  std::vector<storage::turn_write> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back(turn(info("s" + std::to_string(i % 3), "a", ""),
                         {{role::user, "q" + std::to_string(i), 1}, {role::assistant, "r", 1}}));
  auto failed = s->append_turns(batch);
  BOOST_REQUIRE(failed.size() == 10u);
  for (auto& f : failed) BOOST_TEST(f.empty());
  BOOST_TEST(s->count() == 3u);
  auto h = s->history("s0", 100);  // turns 0, 3, 6, 9 in order
  BOOST_REQUIRE(h.size() == 8u);
  BOOST_TEST(h[0].content == "q0");
  BOOST_TEST(h[6].content == "q9");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_turn_s_idempotency_key_is_stored_with_it_and_goes_with_its_session, B, backends) {
  B b;
  auto s = b.open();
  auto t = turn(info("k1", "A", "ann"), {{role::user, "q", 1}, {role::assistant, "r", 1}});
  t.key = domain::turn_key{"key-1", "hash-1", R"({"choices":[]})"};
  auto other = turn(info("k2", "A", "ann"), {{role::user, "q", 1}});
  other.key = domain::turn_key{"key-1", "hash-2", "{}"};  // a key is one session's
  auto failed = s->append_turns({t, other});
  BOOST_TEST(failed[0].empty());
  BOOST_TEST(failed[1].empty());
  auto found = s->find_turn_key("k1", "key-1");
  BOOST_REQUIRE(found.has_value());
  BOOST_TEST(found->key == "key-1");
  BOOST_TEST(found->request_hash == "hash-1");
  BOOST_TEST(found->reply == R"({"choices":[]})");
  BOOST_TEST(s->find_turn_key("k2", "key-1")->request_hash == "hash-2");
  BOOST_TEST(!s->find_turn_key("k1", "key-2"));
  BOOST_TEST(!s->find_turn_key("nope", "key-1"));
  // A turn without a key stores none; a session's keys go with it.
  s->append_turn(info("k1", "A", "ann"), {{role::user, "again", 1}});
  BOOST_TEST(s->find_turn_key("k1", "key-1").has_value());
  BOOST_TEST(s->remove("k1"));
  BOOST_TEST(!s->find_turn_key("k1", "key-1"));
  BOOST_TEST(s->remove_by_agent("A").size() == 1u);
  BOOST_TEST(!s->find_turn_key("k2", "key-1"));
  // A session made again under the same id starts without keys.
  s->append_turn(info("k1", "A", "ann"), {{role::user, "q", 1}});
  BOOST_TEST(!s->find_turn_key("k1", "key-1"));
}

BOOST_AUTO_TEST_CASE(sqlite_commits_a_batch_once_and_survives_reopening) {
  testing::temp_dir dir;
  auto spec = "sqlite:" + dir.file("t.db");
  {
    auto stores = storage::open_storage(spec);
    testing::add_agent(*stores.agents, "a");
    auto& s = stores.sessions;
    std::vector<storage::turn_write> batch;
    for (int i = 0; i < 50; ++i)
      batch.push_back(turn(info("s" + std::to_string(i), "a", "u"), {{role::user, "q", 1}, {role::assistant, "r", 1}}));
    s->append_turns(batch);
    BOOST_TEST(s->commits() == 1u);
  }
  auto reopened = storage::open_storage(spec).sessions;
  BOOST_TEST(reopened->count() == 50u);
  BOOST_TEST(reopened->history("s49", 10).size() == 2u);
}

BOOST_AUTO_TEST_CASE(sqlite_history_window_reads_the_index_not_the_table) {
  testing::temp_dir dir;
  auto path = dir.file("t.db");
  auto s = storage::open_storage("sqlite:" + path).sessions;
  for (int t = 0; t < 300; ++t)
    s->append_turn(info("long", "a", ""), {{role::user, "q" + std::to_string(t), t}, {role::assistant, "r", t}});
  auto window = s->history("long", 5);
  BOOST_REQUIRE(window.size() == 5u);
  BOOST_TEST(window[0].content == "r");
  BOOST_TEST(window[1].content == "q298");
  BOOST_TEST(window[3].content == "q299");
  storage::sqlite_db db{path};
  auto plan = db.prepare((std::string("EXPLAIN QUERY PLAN ") + storage::sqlite_session_store::history_sql).c_str());
  plan.bind(1, std::string_view("long")).bind(2, std::int64_t{5});
  std::string steps;
  while (plan.step()) steps += plan.text(3) + "\n";
  BOOST_TEST_MESSAGE(steps);
  BOOST_TEST(steps.find("SCAN") == std::string::npos, "plan scans: " << steps);
  BOOST_TEST(steps.find("PRIMARY KEY") != std::string::npos, "plan: " << steps);
}

BOOST_AUTO_TEST_CASE(sqlite_migrations_are_recorded_and_newer_databases_refused) {
  testing::temp_dir dir;
  auto path = dir.file("t.db");
  storage::open_storage("sqlite:" + path);
  storage::open_storage("sqlite:" + path);  // a second start migrates nothing
  {
    storage::sqlite_db db{path};
    BOOST_TEST(db.schema_version() == 5);
    db.exec("INSERT INTO schema_version (version) VALUES (99);");
  }
  BOOST_CHECK_THROW(storage::open_storage("sqlite:" + path), storage::storage_error);
}

BOOST_AUTO_TEST_CASE(sqlite_refuses_a_file_that_is_not_a_database) {
  testing::temp_dir dir;
  auto path = dir.file("garbage.db");
  {
    std::ofstream f(path);
    f << std::string(8192, 'x');
  }
  try {
    storage::open_storage("sqlite:" + path);
    BOOST_FAIL("expected a storage_error");
  } catch (const storage::storage_error& e) {
    BOOST_TEST(std::string(e.what()).find("garbage.db") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(sqlite_reports_an_unwritable_place) {
  BOOST_CHECK_THROW(storage::open_storage("sqlite:/proc/troupe/t.db"), storage::storage_error);
}

BOOST_AUTO_TEST_CASE(sqlite_stores_on_one_database_do_not_block_each_other) {
  // Each store has its own connection: a read left open on one would pin an
  // old snapshot and make its next write fail with "database is locked".
  testing::temp_dir dir;
  auto stores = storage::open_storage("sqlite:" + dir.file("both.db"));
  BOOST_TEST(stores.sessions->count() == 0u);
  BOOST_TEST(stores.agents->count() == 0u);
  domain::agent_config a;
  a.id = a.name = a.template_id = "x";
  BOOST_TEST((stores.agents->insert(a) == storage::write_status::ok));
  BOOST_CHECK_NO_THROW(stores.sessions->append_turn(info("s", "x", ""), {{role::user, "q", 1}}));
  BOOST_TEST(stores.agents->list({}).size() == 1u);
  BOOST_CHECK_NO_THROW(stores.sessions->append_turn(info("s", "x", ""), {{role::user, "q2", 2}}));
  BOOST_TEST((stores.agents->update(a) == storage::write_status::ok));
}

BOOST_AUTO_TEST_CASE(sqlite_start_up_drops_sessions_whose_agent_is_gone) {
  // An agent and its sessions are deleted in two commits; a crash between
  // them must not leave sessions that a new agent with the same id inherits.
  testing::temp_dir dir;
  auto spec = "sqlite:" + dir.file("o.db");
  {
    auto stores = storage::open_storage(spec);
    testing::add_agent(*stores.agents, "kept");
    stores.sessions->append_turn(info("s1", "kept", ""), {{role::user, "q", 1}});
    stores.sessions->append_turn(info("s2", "gone", ""), {{role::user, "q", 1}});
    stores.sessions->append_turn(info("s3", "gone", ""), {{role::user, "q", 1}});
    BOOST_TEST(stores.sessions->count() == 3u);
  }
  auto reopened = storage::open_storage(spec);
  BOOST_TEST(reopened.sessions->count() == 1u);
  BOOST_TEST(reopened.sessions->get("s1").has_value());
  BOOST_TEST(!reopened.sessions->get("s2").has_value());
  BOOST_TEST(reopened.sessions->history("s1", 10).size() == 1u);
  storage::sqlite_db db{dir.file("o.db")};
  auto q = db.prepare("SELECT COUNT(*) FROM messages;");
  BOOST_REQUIRE(q.step());
  BOOST_TEST(q.integer(0) == 1);  // the orphans' messages went with them
}

BOOST_AUTO_TEST_CASE(tools_open_only_an_existing_troupe_database) {
  testing::temp_dir dir;
  BOOST_CHECK_THROW(storage::open_existing_sessions("sqlite:" + dir.file("none.db")), storage::storage_error);
  BOOST_TEST(!std::filesystem::exists(dir.file("none.db")));
  {
    storage::sqlite_db foreign{dir.file("foreign.db")};
    foreign.exec("CREATE TABLE t (x);");
  }
  BOOST_CHECK_THROW(storage::open_existing_sessions("sqlite:" + dir.file("foreign.db")), storage::storage_error);
  BOOST_CHECK_THROW(storage::open_existing_sessions("memory"), storage::storage_error);
  {
    auto stores = storage::open_storage("sqlite:" + dir.file("ok.db"));
    testing::add_agent(*stores.agents, "a");
    stores.sessions->append_turn(info("s", "a", ""), {{role::user, "q", 1}, {role::assistant, "r", 2}});
  }
  auto d = storage::open_existing_sessions("sqlite:" + dir.file("ok.db"))->dump("s");
  BOOST_REQUIRE(d.has_value());
  BOOST_TEST(d->info.message_count == 2);
  BOOST_TEST(d->messages.size() == 2u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(every_message_field_round_trips, B, backends) {
  B b;
  auto s = b.open();
  auto msgs = wire(R"([
    {"role":"user","name":"ann","content":[{"type":"text","text":"what is this?"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"}},
      {"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},
      {"type":"file","file":{"file_data":"JVBERi0=","filename":"a.pdf"}}]},
    {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
      "function":{"name":"look","arguments":"{\"at\":\"image\"}"}}],"audio":{"id":"audio_1"}},
    {"role":"tool","tool_call_id":"call_1","content":"a cat"},
    {"role":"assistant","content":"A cat.","refusal":"partly"}])");
  s->append_turn(info("rich", "a", "u"), msgs);
  auto back = s->history("rich", 10);
  BOOST_REQUIRE(back.size() == msgs.size());
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    BOOST_TEST(back[i].same_as(msgs[i]), "message " << i);
    BOOST_TEST(domain::encode_message(back[i]) == domain::encode_message(msgs[i]), "message " << i);
  }
  BOOST_TEST(back[0].name() == "ann");
  BOOST_TEST(back[1].tool_calls()[0].id == "call_1");
  BOOST_TEST(back[2].tool_call_id() == "call_1");
  BOOST_TEST(*back[3].extra->refusal == "partly");
  BOOST_TEST((back[1].kind == domain::content_kind::null));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_resent_conversation_finds_its_session, B, backends) {
  B b;
  auto s = b.open();
  auto turn = wire(R"([{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}])");
  auto i = info("conv", "a", "u");
  i.conv_hash = domain::conversation_hash(turn.begin(), turn.end());
  s->append_turn(i, turn);
  auto resent = wire(R"([{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},
                         {"role":"user","content":"more"}])");
  auto candidates = domain::resend_candidates(resent, 0);
  BOOST_REQUIRE(candidates.size() == 1u);
  auto found = s->find_continuation("a", "u", candidates);
  BOOST_REQUIRE(found);
  BOOST_TEST(found->id == "conv");
  BOOST_TEST(found->message_count == 2);
  // Another user, another agent, another conversation: not found.
  BOOST_TEST(!s->find_continuation("a", "v", candidates));
  BOOST_TEST(!s->find_continuation("b", "u", candidates));
  auto other = wire(R"([{"role":"user","content":"hi"},{"role":"assistant","content":"bye"},
                        {"role":"user","content":"more"}])");
  BOOST_TEST(!s->find_continuation("a", "u", domain::resend_candidates(other, 0)));
  // The next turn moves the session on: the old prefix no longer names it.
  auto next = wire(R"([{"role":"user","content":"more"},{"role":"assistant","content":"sure"}])");
  i.conv_hash = domain::conversation_hash(next.begin(), next.end(), i.conv_hash);
  s->append_turn(i, next);
  BOOST_TEST(!s->find_continuation("a", "u", candidates));
  resent.insert(resent.end(), next.begin() + 1, next.end());
  resent.push_back(wire(R"([{"role":"user","content":"again"}])")[0]);
  found = s->find_continuation("a", "u", domain::resend_candidates(resent, 0));
  BOOST_REQUIRE(found);
  BOOST_TEST(found->message_count == 4);
}

BOOST_AUTO_TEST_CASE(a_version_1_database_migrates_and_keeps_its_sessions) {
  testing::temp_dir dir;
  auto path = dir.file("old.db");
  {
    storage::sqlite_db db{path};
    db.exec(
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES (1);"
        "CREATE TABLE agents (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
        " name TEXT NOT NULL UNIQUE, template_id TEXT NOT NULL, status TEXT NOT NULL,"
        " body TEXT NOT NULL);"
        "CREATE TABLE sessions (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
        " agent_id TEXT NOT NULL, user_id TEXT NOT NULL, created_at INTEGER NOT NULL,"
        " last_activity INTEGER NOT NULL, message_count INTEGER NOT NULL);"
        "CREATE INDEX sessions_by_agent ON sessions(agent_id, seq);"
        "CREATE INDEX sessions_by_user ON sessions(user_id, seq);"
        "CREATE TABLE messages (session_seq INTEGER NOT NULL, idx INTEGER NOT NULL,"
        " role TEXT NOT NULL, content TEXT NOT NULL, created_at INTEGER NOT NULL,"
        " PRIMARY KEY (session_seq, idx)) WITHOUT ROWID;"
        "INSERT INTO agents VALUES (1, 'a', 'a', 'chat', 'active', '{}');"
        "INSERT INTO sessions VALUES (1, 'old', 'a', 'u', 1, 1, 2);"
        "INSERT INTO messages VALUES (1, 0, 'user', 'hi', 1), (1, 1, 'assistant', 'hello', 1);");
  }
  auto backends = storage::open_storage("sqlite:" + path);
  auto& s = *backends.sessions;
  BOOST_REQUIRE(s.get("old"));
  auto h = s.history("old", 10);
  BOOST_REQUIRE(h.size() == 2u);
  BOOST_TEST(h[1].content == "hello");
  // Its conversation hash was computed: a stateless client's resend finds it.
  auto resent = wire(R"([{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},
                         {"role":"user","content":"and now?"}])");
  auto found = s.find_continuation("a", "u", domain::resend_candidates(resent, 0));
  BOOST_REQUIRE(found);
  BOOST_TEST(found->id == "old");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(responses_are_stored_with_their_turn_and_removed_with_the_session, B, backends) {
  B b;
  auto s = b.open();
  auto t = turn(info("r1", "a", "u"), wire(R"([{"role":"user","content":"q"},{"role":"assistant","content":"r"}])"));
  t.item_ids = {"", "msg_abc_0"};
  t.response = domain::response_record{"resp_1", "r1", "u", 2, 5, R"({"id":"resp_1"})", "[]",
                                      {"msg_abc_0"}};
  BOOST_REQUIRE(s->append_turns({t})[0].empty());
  auto r = s->get_response("resp_1");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->session_id == "r1");
  BOOST_TEST(r->end_count == 2);
  BOOST_TEST(r->body == R"({"id":"resp_1"})");
  auto items = s->items("r1");
  BOOST_REQUIRE(items.size() == 2u);
  BOOST_TEST(items[1].id == "msg_abc_0");
  BOOST_TEST(items[0].id.rfind("msg_", 0) == 0u);  // derived, and stable:
  BOOST_TEST(s->items("r1")[0].id == items[0].id);
  BOOST_TEST(*s->session_of_item("msg_abc_0") == "r1");
  BOOST_TEST(!s->session_of_item("msg_nope"));
  BOOST_TEST(s->remove_response("resp_1"));
  BOOST_TEST(!s->get_response("resp_1"));
  t.info.id = "r2";
  t.response->id = "resp_2";
  t.response->session_id = "r2";
  s->append_turns({t});
  BOOST_TEST(s->remove("r2"));
  BOOST_TEST(!s->get_response("resp_2"));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_fork_copies_the_front_of_a_conversation, B, backends) {
  B b;
  auto s = b.open();
  auto msgs = wire(R"([{"role":"user","content":"1"},{"role":"assistant","content":"2"},
                       {"role":"user","content":"3"},{"role":"assistant","content":"4"}])");
  auto i = info("orig", "a", "u");
  i.conv_hash = domain::conversation_hash(msgs.begin(), msgs.end());
  s->append_turn(i, msgs);
  auto f = s->fork("orig", 2, "fork");
  BOOST_REQUIRE(f);
  BOOST_TEST(f->message_count == 2);
  BOOST_TEST(f->agent_id == "a");
  BOOST_TEST(f->conv_hash == domain::conversation_hash(msgs.begin(), msgs.begin() + 2));
  BOOST_TEST(s->history("fork", 10).size() == 2u);
  BOOST_TEST(s->get("orig")->message_count == 4);  // untouched
  BOOST_TEST(s->items("fork")[1].id == s->items("orig")[1].id);
  BOOST_TEST(!s->fork("nope", 1, "x"));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(items_go_one_by_one_and_the_session_follows, B, backends) {
  B b;
  auto s = b.open();
  auto msgs = wire(R"([{"role":"user","content":"q"},
      {"role":"assistant","content":null,"tool_calls":[
        {"id":"call_a","type":"function","function":{"name":"f","arguments":"{}"}},
        {"id":"call_b","type":"function","function":{"name":"f","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"call_a","content":"1"}])");
  s->append_turn(info("it", "", "u"), msgs);
  BOOST_TEST(s->set_metadata("it", R"({"topic":"x"})"));
  BOOST_TEST(s->get("it")->metadata_json == R"({"topic":"x"})");
  // One call of the assistant message goes; the message stays with the other.
  auto after = s->remove_item("it", domain::function_call_item_id(s->items("it")[1].id, "call_b"));
  BOOST_REQUIRE(after);
  BOOST_TEST(after->message_count == 3);
  auto h = s->history("it", 10);
  BOOST_REQUIRE(h[1].tool_calls().size() == 1u);
  BOOST_TEST(h[1].tool_calls()[0].id == "call_a");
  BOOST_TEST(after->conv_hash == domain::conversation_hash(h.begin(), h.end()));
  // A whole message goes by its id; later turns still append after it.
  auto first = s->items("it")[0].id;
  BOOST_REQUIRE(s->remove_item("it", first));
  BOOST_TEST(s->get("it")->message_count == 2);
  auto i2 = info("it", "a", "u");
  s->append_turn(i2, wire(R"([{"role":"user","content":"again"}])"));
  auto all = s->items("it");
  BOOST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[2].message.content == "again");
  BOOST_TEST(s->get("it")->agent_id == "a");  // bound by its first turn with an agent
  BOOST_TEST(!s->remove_item("it", "msg_nope"));
}
