#define BOOST_TEST_MODULE forward_desk
// The two ends of a forwarded turn: the owner's remote_sink numbers the
// pieces, the first node's forward_desk writes them to the client in order,
// and answers for an owner that is lost or too slow.
#include "actors/cluster/forward_desk.hpp"

#include <boost/test/unit_test.hpp>

#include <thread>
#include <vector>

#include "actors/cluster/remote_sink.hpp"
#include "test_support.hpp"

using namespace troupe;
using namespace std::chrono_literals;

namespace {

using clock = actors::forward_desk::clock;

struct fixture {
  actors::forward_desk desk;
  std::shared_ptr<testing::recording_sink> client = std::make_shared<testing::recording_sink>();
  std::uint64_t open(const std::string& owner = "n2", clock::duration timeout = 5s) {
    return desk.open(client, owner, clock::now() + timeout);
  }
};

actors::reply_piece piece(std::uint64_t turn, std::uint64_t seq, std::int32_t kind, std::string body) {
  actors::reply_piece p;
  p.turn = turn;
  p.seq = seq;
  p.kind = kind;
  p.body = std::move(body);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_remote_sink_reply_reaches_the_client_whole_and_in_order) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto whole = std::make_shared<testing::recording_sink>();
  auto stream = std::make_shared<testing::recording_sink>();
  // Opened before the actor runs; then only the actor touches the desk.
  auto desk = std::make_shared<actors::forward_desk>();
  std::uint64_t turns[2] = {desk->open(whole, "n2", clock::now() + 5s),
                            desk->open(stream, "n2", clock::now() + 5s)};
  auto node = sys.spawn([desk](caf::event_based_actor*) -> caf::behavior {
    return {[desk](actors::reply_piece& p) { desk->piece(p); }};
  });
  {
    actors::remote_sink owner{node, turns[0]};
    owner.add_header("X-Troupe-Node", "n2");
    owner.send(200, R"({"ok":true})");
    owner.send(500, "too late");  // a reply is written once
  }
  actors::remote_sink owner{node, turns[1]};
  for (int i = 0; i < 100; ++i) owner.stream(std::to_string(i) + ",");
  owner.end_stream("done");
  BOOST_REQUIRE(whole->wait());
  BOOST_TEST(whole->status() == 200);
  BOOST_TEST(whole->body() == R"({"ok":true})");
  BOOST_TEST(whole->header("X-Troupe-Node") == "n2");
  BOOST_REQUIRE(stream->wait());
  std::string want;
  for (int i = 0; i < 100; ++i) want += std::to_string(i) + ",";
  BOOST_TEST(stream->body() == want + "done");
  caf::anon_send_exit(node, caf::exit_reason::kill);
}

BOOST_FIXTURE_TEST_CASE(pieces_that_overtake_one_another_are_written_in_order, fixture) {
  auto t = open();
  auto other = desk.open(std::make_shared<testing::recording_sink>(), "n2", clock::now() + 5s);
  for (auto p : {piece(t, 2, actors::reply_piece::chunk, "c"), piece(t, 3, actors::reply_piece::last, "[end]"),
                 piece(other, 0, actors::reply_piece::chunk, "x"), piece(t, 1, actors::reply_piece::chunk, "b")})
    desk.piece(p);
  BOOST_TEST(client->body() == "");
  auto first = piece(t, 0, actors::reply_piece::chunk, "a");
  desk.piece(first);
  BOOST_REQUIRE(client->wait(0s));
  BOOST_TEST(client->body() == "abc[end]");
  BOOST_TEST(desk.size() == 1u);  // the other turn is still open
  auto late = piece(t, 4, actors::reply_piece::chunk, "late");
  desk.piece(late);  // its turn is over: ignored
  BOOST_TEST(client->body() == "abc[end]");
}

BOOST_FIXTURE_TEST_CASE(an_owner_lost_before_the_reply_is_503_retry_after_1, fixture) {
  open("n2");
  auto elsewhere = std::make_shared<testing::recording_sink>();
  desk.open(elsewhere, "n3", clock::now() + 5s);
  desk.fail_owner("n2", actors::owner_lost("the node running this turn was lost"));
  BOOST_REQUIRE(client->wait(0s));
  BOOST_TEST(client->status() == 503);
  BOOST_TEST(client->header("Retry-After") == "1");
  BOOST_TEST(client->body().find("retry") != std::string::npos);
  BOOST_TEST(elsewhere->status() == 0);  // another owner's turn goes on
  BOOST_TEST(desk.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(an_owner_lost_inside_a_stream_ends_it_with_an_error_event, fixture) {
  auto t = open("n2");
  auto p = piece(t, 0, actors::reply_piece::chunk, "data: {}\n\n");
  desk.piece(p);
  desk.fail_owner("n2", actors::owner_lost("the node running this turn was lost"));
  BOOST_REQUIRE(client->wait(0s));
  auto body = client->body();
  BOOST_TEST(body.find("data: {}\n\n") == 0u);
  BOOST_TEST(body.find("\"error\"") != std::string::npos);
  BOOST_TEST(body.find("data: [DONE]") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(an_unreachable_owner_is_503_and_a_silent_one_504, fixture) {
  auto t = open("n2");
  desk.fail(t, actors::owner_lost("cannot be reached (connection refused)"));
  BOOST_REQUIRE(client->wait(0s));
  BOOST_TEST(client->status() == 503);
  BOOST_TEST(client->body().find("connection refused") != std::string::npos);

  auto slow = std::make_shared<testing::recording_sink>();
  auto patient = std::make_shared<testing::recording_sink>();
  desk.open(slow, "n2", clock::now() + 100ms);
  desk.open(patient, "n2", clock::now() + 10s);
  desk.expire(clock::now(), domain::gateway_timeout("too slow"));
  BOOST_TEST(slow->status() == 0);  // not yet
  desk.expire(clock::now() + 200ms, domain::gateway_timeout("too slow"));
  BOOST_TEST(slow->status() == 504);
  BOOST_TEST(patient->status() == 0);
  BOOST_TEST(desk.size() == 1u);
}

BOOST_AUTO_TEST_CASE(threads_that_open_answer_and_fail_turns_at_once_answer_each_once) {
  actors::forward_desk desk;
  constexpr int threads = 4, per_thread = 500;
  std::vector<std::vector<std::shared_ptr<testing::recording_sink>>> clients(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto c = std::make_shared<testing::recording_sink>();
        clients[t].push_back(c);
        // Odd threads' turns go to n3, which is lost meanwhile.
        auto turn = desk.open(c, t % 2 ? "n3" : "n2", clock::now() + 10s);
        auto p = piece(turn, 0, actors::reply_piece::whole, "ok");
        if (t % 2 == 0) desk.piece(p);
      }
    });
  std::thread loser([&] {
    for (int i = 0; i < 200; ++i) {
      desk.fail_owner("n3", actors::owner_lost("lost"));
      desk.expire(clock::now(), domain::gateway_timeout("slow"));  // none is due
    }
  });
  for (auto& w : workers) w.join();
  loser.join();
  desk.fail_owner("n3", actors::owner_lost("lost"));
  BOOST_TEST(desk.size() == 0u);
  for (int t = 0; t < threads; ++t)
    for (auto& c : clients[t]) {
      BOOST_REQUIRE(c->wait(0s));
      BOOST_TEST(c->status() == (t % 2 ? 503 : 200));
    }
}
