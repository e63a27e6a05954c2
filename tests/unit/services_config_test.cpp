#define BOOST_TEST_MODULE services_config
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include "domain/service/services_config.hpp"

using namespace troupe::domain;

BOOST_AUTO_TEST_CASE(env_expansion) {
  setenv("TROUPE_T_SET", "value", 1);
  unsetenv("TROUPE_T_UNSET");
  BOOST_TEST(expand_env("a ${TROUPE_T_SET} b") == "a value b");
  BOOST_TEST(expand_env("${TROUPE_T_UNSET}") == "");
  BOOST_TEST(expand_env("${TROUPE_T_UNSET:-fallback}") == "fallback");
  BOOST_TEST(expand_env("${TROUPE_T_SET:-fallback}") == "value");
  BOOST_TEST(expand_env("no vars $ {x}") == "no vars $ {x}");
  BOOST_TEST(expand_env("open ${never closed") == "open ${never closed");
}

BOOST_AUTO_TEST_CASE(parses_providers) {
  setenv("TROUPE_T_KEY", "sk-1", 1);
  auto cfg = parse_services(R"({"llm":{"providers":{
    "t":{"type":"test","model":"m","reply":"hello there","first_token_ms":"${TROUPE_T_UNSET:-5}"},
    "o":{"type":"openai","model":"gpt","api_key":"${TROUPE_T_KEY}","fallback":"t","timeout_s":30}},
    "default_provider":"t"}})");
  BOOST_TEST(cfg.providers.size() == 2u);
  BOOST_TEST(cfg.find("t")->first_token_ms == 5);
  BOOST_TEST(cfg.find("o")->api_key == "sk-1");
  BOOST_TEST(cfg.resolve("")->name == "t");
  BOOST_TEST(cfg.resolve("o")->name == "o");
  BOOST_TEST(cfg.resolve("x") == nullptr);
}

BOOST_AUTO_TEST_CASE(rejects_bad_files) {
  BOOST_CHECK_THROW(parse_services("{"), std::runtime_error);
  BOOST_CHECK_THROW(parse_services("{}"), std::runtime_error);
  BOOST_CHECK_THROW(parse_services(R"({"llm":{"providers":{"t":{}}}})"), std::runtime_error);
  BOOST_CHECK_THROW(parse_services(R"({"llm":{"providers":{"t":{"type":"test"}},"default_provider":"x"}})"),
                    std::runtime_error);
  BOOST_CHECK_THROW(parse_services(R"({"llm":{"providers":{"t":{"type":"test","fallback":"x"}}}})"),
                    std::runtime_error);
  BOOST_CHECK_THROW(parse_services(R"({"llm":{"providers":{"t":{"type":"test","typo":1}}}})"),
                    std::runtime_error);
  BOOST_CHECK_THROW(load_services("/nonexistent/services.json"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(openai_provider_fields) {
  auto cfg = parse_services(R"({"llm":{"providers":{
    "o":{"type":"openai","model":"gpt","base_url":"http://127.0.0.1:9/v1//",
         "retries":"${TROUPE_T_UNSET:-4}","retry_base_ms":10},
    "d":{"type":"openai","model":"gpt"}}}})");
  auto& o = *cfg.find("o");
  BOOST_TEST(o.base_url == "http://127.0.0.1:9/v1");  // trailing slashes trimmed
  BOOST_TEST(o.retry.retries == 4);
  BOOST_TEST(o.retry.base_ms == 10);
  auto& d = *cfg.find("d");
  BOOST_TEST(d.base_url == "https://api.openai.com/v1");
  BOOST_TEST(d.retry.retries == 2);  // the defaults
  BOOST_TEST(d.retry.base_ms == 250);
  BOOST_TEST(d.timeout_s == 60);
}

BOOST_AUTO_TEST_CASE(rejects_bad_openai_providers) {
  auto bad = [](const char* providers) {
    BOOST_CHECK_THROW(parse_services(std::string(R"({"llm":{"providers":)") + providers + "}}"),
                      std::runtime_error);
  };
  bad(R"({"o":{"type":"openai"}})");  // no model
  bad(R"({"o":{"type":"openai","model":"m","retries":-1}})");
  bad(R"({"o":{"type":"openai","model":"m","retries":11}})");
  bad(R"({"o":{"type":"openai","model":"m","retry_base_ms":-5}})");
  bad(R"({"o":{"type":"openai","model":"m","retries":"many"}})");
  bad(R"({"o":{"type":"openai","model":"m","timeout_s":0}})");
}

BOOST_AUTO_TEST_CASE(fallback_chains_must_end) {
  BOOST_CHECK_THROW(parse_services(R"({"llm":{"providers":{
    "a":{"type":"test","fallback":"a"}}}})"), std::runtime_error);
  BOOST_CHECK_THROW(parse_services(R"({"llm":{"providers":{
    "a":{"type":"test","fallback":"b"},"b":{"type":"test","fallback":"a"}}}})"), std::runtime_error);
  BOOST_CHECK_THROW(parse_services(R"({"llm":{"providers":{
    "a":{"type":"test","fallback":"b"},"b":{"type":"test","fallback":"c"},
    "c":{"type":"test","fallback":"b"}},"default_provider":"a"}})"), std::runtime_error);
  auto ok = parse_services(R"({"llm":{"providers":{
    "a":{"type":"test","fallback":"b"},"b":{"type":"test","fallback":"c"},"c":{"type":"test"}},
    "default_provider":"a"}})");
  BOOST_TEST(ok.find("a")->fallback == "b");
}
