#define BOOST_TEST_MODULE service_codec
#include <boost/test/unit_test.hpp>

#include "domain/service/service_codec.hpp"
#include "json_support.hpp"

using namespace troupe::domain;
using troupe::testing::parse_json;

BOOST_AUTO_TEST_CASE(health_is_healthy_while_storage_works) {
  health_view h;
  h.storage = "sqlite:x.db";
  h.storage_health.last_success_ms = 1764000000000;
  auto d = parse_json(encode_health(h));
  BOOST_TEST(d["status"].GetString() == std::string("healthy"));
  auto& st = d["checks"]["storage"];
  BOOST_TEST(st["status"].GetString() == std::string("ok"));
  BOOST_TEST(st["last_error"].IsNull());
  BOOST_TEST(st["last_success_at"].IsString());
}

BOOST_AUTO_TEST_CASE(health_never_shows_a_database_password) {
  auto backend = [](std::string spec) {
    health_view h;
    h.storage = std::move(spec);
    return std::string(parse_json(encode_health(h))["checks"]["storage"]["backend"].GetString());
  };
  BOOST_TEST(backend("postgres:postgresql://troupe:s3cret@db:5432/troupe") ==
             "postgres:postgresql://troupe:***@db:5432/troupe");
  BOOST_TEST(backend("postgres:postgresql://db/troupe?user=t&password=s3cret&sslmode=require") ==
             "postgres:postgresql://db/troupe?user=t&password=***&sslmode=require");
  BOOST_TEST(backend("postgres:postgresql://troupe@127.0.0.1/troupe") ==
             "postgres:postgresql://troupe@127.0.0.1/troupe");
  BOOST_TEST(backend("sqlite:data/a@b.db") == "sqlite:data/a@b.db");
}

BOOST_AUTO_TEST_CASE(health_is_degraded_while_storage_fails) {
  health_view h;
  h.storage = "sqlite:x.db";
  h.storage_health.last_error = "disk I/O error";
  h.storage_health.last_error_ms = 1764000000000;
  auto d = parse_json(encode_health(h));
  BOOST_TEST(d["status"].GetString() == std::string("degraded"));
  auto& st = d["checks"]["storage"];
  BOOST_TEST(st["status"].GetString() == std::string("error"));
  BOOST_TEST(st["last_error"].GetString() == std::string("disk I/O error"));
  BOOST_TEST(st["last_error_at"].IsString());
  BOOST_TEST(st["last_success_at"].IsNull());
}
