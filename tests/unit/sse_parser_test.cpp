#define BOOST_TEST_MODULE sse_parser
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "domain/upstream/sse_parser.hpp"

using namespace troupe::domain;

namespace {

// Feeds `text` cut at every position in `cuts` order (pieces of `step` bytes).
std::vector<std::string> events_of(const std::string& text, std::size_t step, bool finish = true) {
  sse_parser p;
  std::vector<std::string> out;
  auto f = [&](std::string_view d) {
    out.emplace_back(d);
    return true;
  };
  for (std::size_t i = 0; i < text.size(); i += step) BOOST_REQUIRE(p.feed(text.substr(i, step), f));
  if (finish) BOOST_REQUIRE(p.finish(f));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(events_whatever_the_chunk_boundaries) {
  const std::string text =
      ": comment\r\n"
      "event: message\r\n"
      "data: {\"a\":1}\r\n\r\n"
      "data:no-space\n\n"
      "id: 7\rdata: multi\rdata:  line\r\r"
      "retry: 10\n"
      "data\n\n"
      "data: two\r\ndata: lines\r\n\r\n"
      "data: [DONE]\n\n";
  const std::vector<std::string> want = {"{\"a\":1}", "no-space", "multi\n line", "",
                                         "two\nlines", "[DONE]"};
  for (std::size_t step = 1; step <= text.size(); ++step) {
    BOOST_TEST_CONTEXT("step " << step) {
      auto got = events_of(text, step);
      BOOST_TEST(got == want, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(crlf_split_across_chunks_is_one_line_end) {
  sse_parser p;
  std::vector<std::string> out;
  auto f = [&](std::string_view d) {
    out.emplace_back(d);
    return true;
  };
  p.feed("data: x\r", f);
  p.feed("\n\r", f);
  p.feed("\ndata: y\r\n", f);
  p.feed("\r\n", f);
  BOOST_TEST(out == (std::vector<std::string>{"x", "y"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_unterminated_event_counts_at_the_end) {
  BOOST_TEST(events_of("data: last", 3) == std::vector<std::string>{"last"},
             boost::test_tools::per_element());
  BOOST_TEST(events_of("data: last\n", 4) == std::vector<std::string>{"last"},
             boost::test_tools::per_element());
  BOOST_TEST(events_of("data: a\n\ndata: b", 5, false) == std::vector<std::string>{"a"},
             boost::test_tools::per_element());
  BOOST_TEST(events_of(": only a comment\n", 2).empty());
}

BOOST_AUTO_TEST_CASE(the_callback_can_stop) {
  sse_parser p;
  int n = 0;
  BOOST_TEST(!p.feed("data: 1\n\ndata: 2\n\n", [&](std::string_view) { return ++n < 1; }));
  BOOST_TEST(n == 1);
}

BOOST_AUTO_TEST_CASE(oversized_events_are_refused) {
  sse_parser p(16);
  auto f = [](std::string_view) { return true; };
  BOOST_TEST(p.feed("data: 0123456\n", f));
  BOOST_TEST(!p.feed("data: 0123456789\n", f));
  BOOST_TEST(p.overflowed());
  sse_parser q(16);
  BOOST_TEST(!q.feed(std::string(100, 'x'), f));  // a line without end
  BOOST_TEST(q.overflowed());
}
