#define BOOST_TEST_MODULE services_config
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include "domain/services_config.hpp"

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
