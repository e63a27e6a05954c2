#define BOOST_TEST_MODULE upstream_policy
#include <boost/test/unit_test.hpp>

#include "domain/upstream/upstream_policy.hpp"

using namespace troupe::domain;

BOOST_AUTO_TEST_CASE(what_is_retried) {
  using f = upstream_failure;
  auto o = [](f failure, int status = 0, bool started = false) {
    upstream_outcome x;
    x.failure = failure;
    x.status = status;
    x.started = started;
    return x;
  };
  BOOST_TEST(worth_retrying(o(f::connect)));
  BOOST_TEST(worth_retrying(o(f::http_status, 429)));
  BOOST_TEST(worth_retrying(o(f::http_status, 500)));
  BOOST_TEST(worth_retrying(o(f::http_status, 503)));
  BOOST_TEST(!worth_retrying(o(f::http_status, 401)));
  BOOST_TEST(!worth_retrying(o(f::http_status, 400)));
  BOOST_TEST(!worth_retrying(o(f::http_status, 404)));
  BOOST_TEST(!worth_retrying(o(f::http_status, 500, true)));  // tokens already went out
  BOOST_TEST(!worth_retrying(o(f::connect, 0, true)));
  for (auto x : {f::transport, f::malformed, f::reported, f::timeout, f::cancelled, f::none})
    BOOST_TEST(!worth_retrying(o(x)));
}

BOOST_AUTO_TEST_CASE(exponential_backoff_with_equal_jitter) {
  retry_policy p{2, 100, 1000};
  BOOST_TEST(backoff_ms(p, 1, std::nullopt, 0.0) == 50);
  BOOST_TEST(backoff_ms(p, 1, std::nullopt, 0.999) == 99);
  BOOST_TEST(backoff_ms(p, 2, std::nullopt, 0.0) == 100);
  BOOST_TEST(backoff_ms(p, 3, std::nullopt, 0.5) == 300);
  BOOST_TEST(backoff_ms(p, 8, std::nullopt, 1.0) == 1000);   // capped
  BOOST_TEST(backoff_ms(p, 60, std::nullopt, 1.0) == 1000);  // no overflow
  for (int retry = 1; retry <= 6; ++retry)
    for (double r : {0.0, 0.3, 0.7, 0.99}) {
      auto d = backoff_ms(p, retry, std::nullopt, r);
      auto full = std::min<std::int64_t>(1000, 100 << (retry - 1));
      BOOST_TEST(d >= full / 2);
      BOOST_TEST(d <= full);
    }
}

BOOST_AUTO_TEST_CASE(retry_after_is_a_floor) {
  retry_policy p{2, 100, 1000};
  BOOST_TEST(backoff_ms(p, 1, 2000, 0.5) == 2000);   // may exceed the cap
  BOOST_TEST(backoff_ms(p, 3, 10, 0.0) == 200);      // shorter than the backoff: backoff wins
  BOOST_TEST(backoff_ms(retry_policy{2, 0, 0}, 1, std::nullopt, 0.5) == 0);
}

BOOST_AUTO_TEST_CASE(retry_after_values) {
  const std::int64_t now = 1445412480000;  // Wed, 21 Oct 2015 07:28:00 GMT
  BOOST_TEST(parse_retry_after_ms("3", now).value() == 3000);
  BOOST_TEST(parse_retry_after_ms(" 0 ", now).value() == 0);
  BOOST_TEST(parse_retry_after_ms("Wed, 21 Oct 2015 07:28:02 GMT", now).value() == 2000);
  BOOST_TEST(parse_retry_after_ms("Wed, 21 Oct 2015 07:27:00 GMT", now).value() == 0);  // past
  BOOST_TEST(!parse_retry_after_ms("", now));
  BOOST_TEST(!parse_retry_after_ms("-1", now));
  BOOST_TEST(!parse_retry_after_ms("1.5", now));
  BOOST_TEST(!parse_retry_after_ms("soon", now));
  BOOST_TEST(!parse_retry_after_ms("99999999999", now));
  BOOST_TEST(!parse_retry_after_ms("Wed, 21 Oct 2015 07:28:02 GMT junk", now));
}

BOOST_AUTO_TEST_CASE(client_errors) {
  upstream_outcome o;
  o.failure = upstream_failure::http_status;
  o.status = 401;
  o.message = "Incorrect API key provided";
  auto e = client_error(o, "openai");
  BOOST_TEST(e.status == 502);
  BOOST_TEST(e.code == "upstream_error");
  BOOST_TEST(e.message.find("Incorrect API key provided") != std::string::npos);
  BOOST_TEST(e.message.find("openai") != std::string::npos);
  BOOST_TEST(e.message.find("401") != std::string::npos);

  o.failure = upstream_failure::timeout;
  BOOST_TEST(client_error(o, "p").status == 504);
  for (auto f : {upstream_failure::connect, upstream_failure::transport, upstream_failure::malformed,
                 upstream_failure::reported, upstream_failure::cancelled}) {
    o.failure = f;
    BOOST_TEST(client_error(o, "p").status == 502);
    BOOST_TEST(client_error(o, "p").code == "upstream_error");
  }
}
