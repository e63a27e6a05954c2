#define BOOST_TEST_MODULE key_codec
#include <boost/test/unit_test.hpp>

#include "domain/keys/key_codec.hpp"
#include "domain/keys/key_directory.hpp"
#include "domain/keys/key_secret.hpp"
#include "json_support.hpp"

using namespace troupe::domain;
using troupe::testing::parse_json;

namespace {
constexpr std::int64_t now = 1764547200000;  // 2025-12-01T00:00:00Z

int status_of(std::string_view body, bool create = true) {
  try {
    parse_key_patch(body, create, now);
  } catch (const api_error& e) {
    return e.status;
  }
  return 0;
}
}  // namespace

BOOST_AUTO_TEST_CASE(create_bodies_are_checked) {
  BOOST_TEST(status_of(R"({"user_id":"alice"})") == 0);
  BOOST_TEST(status_of(R"({"name":"x"})") == 400);  // no user_id
  BOOST_TEST(status_of(R"({"user_id":""})") == 400);
  BOOST_TEST(status_of(R"({"user_id":"a","rpm":0})") == 400);
  BOOST_TEST(status_of(R"({"user_id":"a","tpm":-5})") == 400);
  BOOST_TEST(status_of(R"({"user_id":"a","rpm":"10"})") == 422);
  BOOST_TEST(status_of(R"({"user_id":"a","agents":[]})") == 400);
  BOOST_TEST(status_of(R"({"user_id":"a","agents":["bad id"]})") == 400);
  BOOST_TEST(status_of(R"({"user_id":"a","budget_period":"week"})") == 400);
  BOOST_TEST(status_of(R"({"user_id":"a","expires_at":1000})") == 400);  // the past
  BOOST_TEST(status_of(R"({"user_id":"a","expires_at":"tomorrow"})") == 400);
  BOOST_TEST(status_of(R"({"user_id":"a","colour":"red"})") == 422);
  BOOST_TEST(status_of(R"({"user_id":"b"})", false) == 400);  // a key's user cannot change
}

BOOST_AUTO_TEST_CASE(patches_set_and_clear_limits) {
  auto k = apply_key_patch(
      parse_key_patch(R"({"user_id":"a","rpm":10,"token_budget":500,"agents":["demo"],
                          "expires_at":"2030-01-01T00:00:00Z"})",
                      true, now),
      api_key{});
  BOOST_TEST(k.user_id == "a");
  BOOST_TEST(*k.limits.rpm == 10);
  BOOST_TEST((k.limits.period == budget_period::month));  // a budget counts per month by default
  BOOST_TEST(k.allows_agent("demo"));
  BOOST_TEST(!k.allows_agent("other"));
  BOOST_TEST(*k.expires_at_ms == 1893456000000);
  k = apply_key_patch(parse_key_patch(R"({"rpm":null,"token_budget":null,"agents":null,
                                          "expires_at":null,"tpm":7})",
                                      false, now),
                      k);
  BOOST_TEST(!k.limits.rpm);
  BOOST_TEST(*k.limits.tpm == 7);
  BOOST_TEST((k.limits.period == budget_period::none));
  BOOST_TEST(k.allows_agent("other"));
  BOOST_TEST(!k.expires_at_ms);
  auto unix_seconds = parse_key_patch(R"({"expires_at":1893456000})", false, now);
  BOOST_TEST(**unix_seconds.expires_at_ms == 1893456000000);
}

BOOST_AUTO_TEST_CASE(the_api_never_shows_the_hash_and_the_secret_only_once) {
  api_key k;
  k.id = "key-1";
  k.user_id = "alice";
  k.prefix = "tr-abcdefgh";
  k.hash = std::string(64, 'f');
  auto shown = parse_json(encode_key(k));
  BOOST_TEST(!shown.HasMember("key"));
  BOOST_TEST(!shown.HasMember("hash"));
  BOOST_TEST(shown["prefix"].GetString() == std::string("tr-abcdefgh"));
  BOOST_TEST(shown["rpm"].IsNull());
  auto created = parse_json(encode_key_created(k, "tr-secret"));
  BOOST_TEST(created["key"].GetString() == std::string("tr-secret"));
  auto list = parse_json(encode_key_list({k, k}));
  BOOST_TEST(list["data"].Size() == 2u);
}

BOOST_AUTO_TEST_CASE(records_round_trip) {
  api_key k;
  k.id = "key-1";
  k.user_id = "alice";
  k.name = "laptop";
  k.agents = {"a", "b"};
  k.limits.rpm = 5;
  k.limits.max_parallel = 2;
  k.limits.token_budget = 1000;
  k.limits.period = budget_period::day;
  k.expires_at_ms = 1893456000000;
  k.created_at_ms = now + 123;
  k.prefix = "tr-abcdefgh";
  k.hash = std::string(64, 'a');
  auto back = decode_key_record(encode_key_record(k));
  BOOST_TEST(back.id == k.id);
  BOOST_TEST(back.name == "laptop");
  BOOST_TEST(back.agents == k.agents);
  BOOST_TEST(*back.limits.rpm == 5);
  BOOST_TEST(!back.limits.tpm);
  BOOST_TEST(*back.limits.max_parallel == 2);
  BOOST_TEST((back.limits.period == budget_period::day));
  BOOST_TEST(*back.expires_at_ms == *k.expires_at_ms);
  BOOST_TEST(back.created_at_ms == k.created_at_ms);
  BOOST_TEST(back.hash == k.hash);
  BOOST_CHECK_THROW(decode_key_record("{}"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(secrets_are_random_and_hashed_with_sha256) {
  BOOST_TEST(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto a = generate_key_secret();
  auto b = generate_key_secret();
  BOOST_TEST(a.secret != b.secret);
  BOOST_TEST(a.secret.size() == 3u + 43u);  // 256 bits in base64url
  BOOST_TEST(looks_like_user_key(a.secret));
  BOOST_TEST(a.secret.find_first_not_of(
                 "tr-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
             std::string::npos);
  BOOST_TEST(a.prefix == a.secret.substr(0, 11));
  BOOST_TEST(a.hash == sha256_hex(a.secret));
  BOOST_TEST(!looks_like_user_key("admin-token"));
}

BOOST_AUTO_TEST_CASE(the_directory_finds_keys_by_hash_and_keeps_meters_across_patches) {
  key_directory dir;
  api_key k;
  k.id = "key-1";
  k.hash = sha256_hex("tr-one");
  k.limits.max_parallel = 1;
  dir.put(k);
  auto g = dir.find(sha256_hex("tr-one"));
  BOOST_REQUIRE(g.has_value());
  BOOST_TEST(g->meter->admit(k.limits, now).admitted());
  k.name = "renamed";
  dir.put(k);
  auto again = dir.find(k.hash);
  BOOST_TEST(again->key->name == "renamed");
  BOOST_TEST(again->meter == g->meter);  // the turn in flight still counts
  BOOST_TEST(!dir.find(sha256_hex("tr-two")));
  dir.erase("key-1");
  BOOST_TEST(!dir.find(k.hash));
}

BOOST_AUTO_TEST_CASE(expiry_is_checked_against_the_clock) {
  api_key k;
  BOOST_TEST(!k.expired(now));
  k.expires_at_ms = now;
  BOOST_TEST(k.expired(now));
  BOOST_TEST(!k.expired(now - 1));
}
