#define BOOST_TEST_MODULE intake_gate
#include <boost/test/unit_test.hpp>

#include "http/intake_gate.hpp"

using namespace troupe::http;
using namespace std::chrono_literals;
using clock_type = intake_gate::clock;

namespace {

const clock_type::time_point t0 = clock_type::now();

struct fixture {
  intake_limits limits;
  body_budget budget{10 << 20};
  std::unique_ptr<intake_gate> gate;

  fixture() {
    limits.max_target = 100;
    limits.max_field = 200;
    limits.max_fields = 10;
    limits.max_head = 1000;
    limits.max_body = 1000;
    limits.read_timeout = 2s;
    reset();
  }
  void reset() { gate = std::make_unique<intake_gate>(limits, &budget, 7); }
  void feed(const std::string& s, clock_type::time_point at = t0) { gate->feed(s.data(), s.size(), at); }
  std::string drain(std::size_t cap = 1 << 16) {
    std::string out;
    std::string buf(cap, '\0');
    while (auto n = gate->take(buf.data(), cap)) out.append(buf.data(), n);
    return out;
  }
  // The note of the single request handed on.
  intake_note note_of(const std::string& out) {
    auto name = intake_header_name() + ": ";
    auto at = out.find(name);
    BOOST_REQUIRE(at != std::string::npos);
    auto end = out.find("\r\n", at);
    auto n = parse_intake_note(std::string_view(out).substr(at + name.size(), end - at - name.size()));
    BOOST_REQUIRE(n.has_value());
    return *n;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_request_passes_whole_with_the_note_after_its_request_line, fixture) {
  feed("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  auto out = drain();
  auto expected = "GET /ping HTTP/1.1\r\n" + intake_header_name() + ": 7 0 ok 0\r\nHost: x\r\n\r\n";
  BOOST_TEST(out.rfind(expected, 0) == 0u);
  BOOST_TEST(out.size() == std::string("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n").size() +
                               intake_header_name().size() + std::string(": 7 0 ok 0\r\n").size());
  BOOST_TEST(!gate->refused());
  BOOST_TEST(!gate->deadline().has_value());
}

BOOST_FIXTURE_TEST_CASE(a_request_arriving_byte_by_byte_is_held_until_complete, fixture) {
  std::string req = "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
  for (std::size_t i = 0; i + 1 < req.size(); ++i) {
    feed(req.substr(i, 1));
    BOOST_TEST(!gate->has_output());
  }
  feed(req.substr(req.size() - 1));
  auto out = drain();
  BOOST_TEST(out.size() > req.size());
  BOOST_TEST(out.substr(out.size() - 5) == "hello");
  BOOST_TEST(budget.used() == 0u);  // handed on: the handler counts it now
}

BOOST_FIXTURE_TEST_CASE(pipelined_requests_pass_one_by_one_in_small_pieces, fixture) {
  feed("\r\n\r\nGET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HT");
  auto out = drain(7);
  BOOST_TEST(out.find("GET /a") == 0u);
  BOOST_TEST(out.find("GET /b") != std::string::npos);
  BOOST_TEST(out.find("GET /c") == std::string::npos);  // not complete yet
  BOOST_TEST(gate->deadline().has_value());
  feed("TP/1.1\r\n\r\n");
  BOOST_TEST(drain().find("GET /c HTTP/1.1\r\n") == 0u);
}

BOOST_FIXTURE_TEST_CASE(an_over_long_target_is_414_and_the_rest_is_ignored, fixture) {
  feed("GET /" + std::string(150, 'a'));
  BOOST_TEST(gate->refused());
  auto out = drain();
  auto n = note_of(out);
  BOOST_TEST(n.status == 414);
  BOOST_TEST(n.code == "uri_too_long");
  BOOST_TEST(out.rfind("GET /aaaa", 0) == 0u);  // method and the start of the target kept
  feed(" HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n");
  BOOST_TEST(!gate->has_output());
}

BOOST_FIXTURE_TEST_CASE(header_fields_over_the_limits_are_431, fixture) {
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 11; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  feed(many + "\r\n");
  BOOST_TEST(note_of(drain()).code == "too_many_header_fields");
  reset();
  feed("GET / HTTP/1.1\r\nX-Big: " + std::string(300, 'v') + "\r\n\r\n");
  auto big = note_of(drain());
  BOOST_TEST(big.status == 431);
  BOOST_TEST(big.code == "header_field_too_large");
  reset();
  std::string head = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 8; ++i) head += "X-" + std::to_string(i) + ": " + std::string(150, 'v') + "\r\n";
  feed(head + "\r\n");  // every field within its limit, the whole over 1000 bytes
  BOOST_TEST(note_of(drain()).code == "header_section_too_large");
}

BOOST_FIXTURE_TEST_CASE(malformed_requests_are_400, fixture) {
  for (std::string bad : {"NOT A REQUEST\r\n\r\n", "G@T / HTTP/1.1\r\n\r\n",
                          "GET / HTTP/1.1\r\nBad\x01Header: x\r\n\r\n",
                          "\x16\x03\x01\x02\x00\x01\x00"}) {
    reset();
    feed(bad);
    auto out = drain();
    BOOST_TEST(note_of(out).status == 400, bad);
    BOOST_TEST(note_of(out).code == "malformed_request");
  }
  reset();
  feed("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
  BOOST_TEST(note_of(drain()).code == "content_length_with_transfer_encoding");
  reset();
  feed("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n");
  BOOST_TEST(note_of(drain()).code == "repeated_content_length");
}

BOOST_FIXTURE_TEST_CASE(a_body_over_the_limit_is_413_as_soon_as_it_is_announced_or_sent, fixture) {
  feed("POST / HTTP/1.1\r\nContent-Length: 15000000\r\n\r\n");
  auto n = note_of(drain());
  BOOST_TEST(n.status == 413);
  BOOST_TEST(n.amount == 15000000u);
  reset();
  feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  BOOST_TEST(!gate->has_output());
  feed("3e8\r\n" + std::string(1000, 'a') + "\r\n");  // exactly the limit: fine so far
  BOOST_TEST(!gate->has_output());
  feed("1\r\nb\r\n");
  BOOST_TEST(note_of(drain()).status == 413);
  BOOST_TEST(budget.used() == 0u);
}

BOOST_FIXTURE_TEST_CASE(past_the_bodies_in_flight_cap_a_request_is_503, fixture) {
  body_budget small{1500};
  intake_gate a{limits, &small, 1}, b{limits, &small, 2};
  std::string head = "POST / HTTP/1.1\r\nContent-Length: 800\r\n\r\n";
  a.feed(head.data(), head.size(), t0);  // holds 800 while its body arrives
  b.feed(head.data(), head.size(), t0);
  std::string out(4096, '\0');
  out.resize(b.take(out.data(), out.size()));
  BOOST_TEST(out.find(" 503 bodies_in_flight ") != std::string::npos);
  BOOST_TEST(small.used() == 800u);
  BOOST_TEST(!a.has_output());
}

BOOST_FIXTURE_TEST_CASE(reservations_are_released_with_the_gate, fixture) {
  {
    intake_gate g{limits, &budget, 1};
    std::string head = "POST / HTTP/1.1\r\nContent-Length: 900\r\n\r\nabc";
    g.feed(head.data(), head.size(), t0);
    BOOST_TEST(budget.used() == 900u);
  }  // the client left mid-body
  BOOST_TEST(budget.used() == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_request_not_complete_in_time_is_408_timed_from_its_first_byte, fixture) {
  BOOST_TEST(!gate->deadline().has_value());  // an idle connection has no request timer
  feed("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", t0 + 5s);
  BOOST_REQUIRE(gate->deadline().has_value());
  BOOST_TEST((*gate->deadline() == t0 + 7s));
  BOOST_TEST(!gate->expire(t0 + 6s));
  BOOST_TEST(gate->expire(t0 + 7s));
  auto out = drain();
  BOOST_TEST(out.rfind("POST / HTTP/1.1\r\n", 0) == 0u);
  BOOST_TEST(note_of(out).status == 408);
  BOOST_TEST(budget.used() == 0u);
}
