#define BOOST_TEST_MODULE forward_proxy
// The two ends of a forwarded turn inside one actor system: the owner's
// remote_sink numbers the pieces, the first node's proxy writes them to the
// client in order, and answers for an owner that is lost or too slow.
#include "actors/cluster/forward_proxy.hpp"

#include <boost/test/unit_test.hpp>

#include "actors/cluster/remote_sink.hpp"
#include "test_support.hpp"

using namespace troupe;
using namespace std::chrono_literals;

namespace {

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<testing::recording_sink> client = std::make_shared<testing::recording_sink>();
};

actors::reply_piece piece(std::uint64_t seq, std::int32_t kind, std::string body) {
  actors::reply_piece p;
  p.seq = seq;
  p.kind = kind;
  p.body = std::move(body);
  return p;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_whole_reply_goes_to_the_client_with_the_owners_headers, fixture) {
  auto proxy = actors::spawn_forward_proxy(sys, client, 5s);
  actors::remote_sink owner{proxy};
  owner.add_header("X-Troupe-Node", "n2");
  owner.send(200, R"({"ok":true})");
  owner.send(500, "too late");  // a reply is written once
  BOOST_REQUIRE(client->wait());
  BOOST_TEST(client->status() == 200);
  BOOST_TEST(client->body() == R"({"ok":true})");
  BOOST_TEST(client->header("X-Troupe-Node") == "n2");
}

BOOST_FIXTURE_TEST_CASE(stream_pieces_are_written_in_order_even_when_they_overtake, fixture) {
  auto proxy = actors::spawn_forward_proxy(sys, client, 5s);
  caf::anon_send(proxy, piece(2, actors::reply_piece::chunk, "c"));
  caf::anon_send(proxy, piece(3, actors::reply_piece::last, "[end]"));
  caf::anon_send(proxy, piece(1, actors::reply_piece::chunk, "b"));
  caf::anon_send(proxy, piece(0, actors::reply_piece::chunk, "a"));
  BOOST_REQUIRE(client->wait());
  BOOST_TEST(client->body() == "abc[end]");
}

BOOST_FIXTURE_TEST_CASE(a_remote_sink_stream_arrives_whole, fixture) {
  auto proxy = actors::spawn_forward_proxy(sys, client, 5s);
  actors::remote_sink owner{proxy};
  for (int i = 0; i < 100; ++i) owner.stream(std::to_string(i) + ",");
  owner.end_stream("done");
  BOOST_REQUIRE(client->wait());
  std::string want;
  for (int i = 0; i < 100; ++i) want += std::to_string(i) + ",";
  BOOST_TEST(client->body() == want + "done");
}

BOOST_FIXTURE_TEST_CASE(an_owner_lost_before_the_reply_is_503_retry_after_1, fixture) {
  auto proxy = actors::spawn_forward_proxy(sys, client, 5s);
  auto owner = sys.spawn([](caf::event_based_actor*) -> caf::behavior { return {[](int) {}}; });
  caf::anon_send(proxy, actors::owner_is{owner});
  caf::anon_send_exit(owner, caf::exit_reason::kill);
  BOOST_REQUIRE(client->wait());
  BOOST_TEST(client->status() == 503);
  BOOST_TEST(client->header("Retry-After") == "1");
  BOOST_TEST(client->body().find("retry") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(an_owner_lost_inside_a_stream_ends_it_with_an_error_event, fixture) {
  auto proxy = actors::spawn_forward_proxy(sys, client, 5s);
  auto owner = sys.spawn([](caf::event_based_actor*) -> caf::behavior { return {[](int) {}}; });
  caf::anon_send(proxy, actors::owner_is{owner});
  caf::anon_send(proxy, piece(0, actors::reply_piece::chunk, "data: {}\n\n"));
  std::this_thread::sleep_for(50ms);
  caf::anon_send_exit(owner, caf::exit_reason::kill);
  BOOST_REQUIRE(client->wait());
  auto body = client->body();
  BOOST_TEST(body.find("data: {}\n\n") == 0u);
  BOOST_TEST(body.find("\"error\"") != std::string::npos);
  BOOST_TEST(body.find("data: [DONE]") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(an_unreachable_owner_is_503_and_a_silent_one_504, fixture) {
  auto proxy = actors::spawn_forward_proxy(sys, client, 5s);
  caf::anon_send(proxy, actors::owner_unreachable{"connection refused"});
  BOOST_REQUIRE(client->wait());
  BOOST_TEST(client->status() == 503);
  BOOST_TEST(client->body().find("connection refused") != std::string::npos);

  auto slow = std::make_shared<testing::recording_sink>();
  actors::spawn_forward_proxy(sys, slow, 100ms);
  BOOST_REQUIRE(slow->wait(3s));
  BOOST_TEST(slow->status() == 504);
}
