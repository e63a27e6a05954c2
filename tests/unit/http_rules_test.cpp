#define BOOST_TEST_MODULE http_rules
#include <boost/test/unit_test.hpp>

#include "domain/service/http_rules.hpp"
#include "domain/core/ids.hpp"
#include "domain/service/server_options.hpp"

using namespace troupe::domain;

BOOST_AUTO_TEST_CASE(token_comparison) {
  BOOST_TEST(constant_time_equal("secret", "secret"));
  BOOST_TEST(!constant_time_equal("secret", "secreT"));
  BOOST_TEST(!constant_time_equal("secret", "secret2"));
  BOOST_TEST(!constant_time_equal("", "x"));
  BOOST_TEST(constant_time_equal("", ""));
}

BOOST_AUTO_TEST_CASE(bearer_scheme_is_case_insensitive) {
  BOOST_TEST(bearer_credentials("Bearer abc").value_or("") == "abc");
  BOOST_TEST(bearer_credentials("bearer abc").value_or("") == "abc");
  BOOST_TEST(bearer_credentials("BEARER  abc").value_or("") == "abc");
  BOOST_TEST(!bearer_credentials("Basic abc"));
  BOOST_TEST(!bearer_credentials("Bearer"));
  BOOST_TEST(!bearer_credentials("Bearer "));
  BOOST_TEST(!bearer_credentials("Bearerabc"));
}

BOOST_AUTO_TEST_CASE(json_content_types) {
  BOOST_TEST(is_json_content_type("application/json"));
  BOOST_TEST(is_json_content_type("Application/JSON; charset=utf-8"));
  BOOST_TEST(is_json_content_type("application/merge-patch+json"));
  BOOST_TEST(!is_json_content_type("text/plain"));
  BOOST_TEST(!is_json_content_type("application/x-www-form-urlencoded"));
}

BOOST_AUTO_TEST_CASE(ids) {
  BOOST_TEST(valid_id("sess-1.a_b:c"));
  BOOST_TEST(!valid_id(""));
  BOOST_TEST(!valid_id("a b"));
  BOOST_TEST(!valid_id(std::string(129, 'a')));
  BOOST_TEST(new_id("x-") != new_id("x-"));
  BOOST_TEST(new_id("x-").size() == 26u);
}

BOOST_AUTO_TEST_CASE(listen_addresses) {
  std::string host;
  std::uint16_t port = 0;
  BOOST_TEST(split_listen("127.0.0.1:8080", host, port));
  BOOST_TEST(host == "127.0.0.1");
  BOOST_TEST(port == 8080);
  BOOST_TEST(split_listen("[::1]:9", host, port));
  BOOST_TEST(host == "::1");
  BOOST_TEST(!split_listen("nohost", host, port));
  BOOST_TEST(!split_listen("h:99999", host, port));
  BOOST_TEST(is_loopback("127.0.0.1"));
  BOOST_TEST(is_loopback("localhost"));
  BOOST_TEST(!is_loopback("0.0.0.0"));
}

// The cluster listens without TLS only where the internet cannot reach it.
BOOST_AUTO_TEST_CASE(private_addresses) {
  for (auto h : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "::1",
                 "fd12::1", "fc00::2", "localhost"})
    BOOST_TEST(is_private(h), h);
  for (auto h : {"8.8.8.8", "172.32.0.1", "172.15.0.1", "192.169.0.1", "0.0.0.0", "::",
                 "2001:db8::1", "10.evil.example", "fdnode.example", "fc.example"})
    BOOST_TEST(!is_private(h), h);
}
