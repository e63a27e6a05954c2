#define BOOST_TEST_MODULE text_sanitize
#include <boost/test/unit_test.hpp>

#include "domain/core/api_error.hpp"
#include "domain/core/text_sanitize.hpp"
#include <rapidjson/document.h>

using namespace troupe::domain;

namespace {
const std::string fffd = "\xEF\xBF\xBD";
}

BOOST_AUTO_TEST_CASE(valid_text_is_unchanged) {
  for (std::string s : {"", "plain", "h\xC3\xA9llo \xF0\x9F\x8C\x8D \xE4\xB8\x96", "a\x00z"})
    BOOST_TEST(to_valid_utf8(s) == s);
}

BOOST_AUTO_TEST_CASE(ill_formed_sequences_become_one_replacement_each) {
  BOOST_TEST(to_valid_utf8("a\xFF" "b") == "a" + fffd + "b");
  BOOST_TEST(to_valid_utf8("\x80\x80") == fffd + fffd);                 // lone continuations
  BOOST_TEST(to_valid_utf8("\xC0\xAF") == fffd + fffd);                 // overlong slash
  BOOST_TEST(to_valid_utf8("\xED\xA0\x80") == fffd + fffd + fffd);      // surrogate
  BOOST_TEST(to_valid_utf8("\xE2\x82" "x") == fffd + "x");              // truncated: one U+FFFD
  BOOST_TEST(to_valid_utf8("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);  // > U+10FFFF
  BOOST_TEST(to_valid_utf8("\xF0\x9F\x8C") == fffd);                    // cut at the end
}

BOOST_AUTO_TEST_CASE(capping_cuts_at_a_character_boundary) {
  BOOST_TEST(cap_utf8("short", 10) == "short");
  std::string s(300, 'a');
  auto c = cap_utf8(s, 200);
  BOOST_TEST(c.size() <= 200u);
  BOOST_TEST(c.substr(c.size() - 3) == "\xE2\x80\xA6");
  // 100 two-byte characters: the cut never splits one.
  std::string e;
  for (int i = 0; i < 100; ++i) e += "\xC3\xA9";
  auto ce = cap_utf8(e, 50);
  BOOST_TEST(to_valid_utf8(ce) == ce);
  BOOST_TEST(ce.size() <= 50u);
  BOOST_TEST(echo(std::string(5000, '\xFF')).size() <= 200u);
}

BOOST_AUTO_TEST_CASE(error_bodies_are_valid_json_whatever_the_message_holds) {
  auto e = not_found("no route for GET /\xFF\xFE/" + std::string(100000, 'x'));
  e.param = "p\xC0";
  auto body = encode_error(e);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.c_str());
  BOOST_REQUIRE(!doc.HasParseError());
  BOOST_TEST(doc["error"]["message"].GetStringLength() <= 2048u);
  BOOST_TEST(std::string(doc["error"]["param"].GetString()) == "p" + fffd);
}
