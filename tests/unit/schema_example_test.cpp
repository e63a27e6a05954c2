#define BOOST_TEST_MODULE schema_example
#include <boost/test/unit_test.hpp>

#include "domain/openai/schema_example.hpp"
#include "json_support.hpp"

using namespace troupe::domain;
using troupe::testing::parse_json;

BOOST_AUTO_TEST_CASE(types_and_bounds) {
  auto d = parse_json(example_for_schema(R"({"type":"object","properties":{
      "s":{"type":"string","minLength":10},"i":{"type":"integer","minimum":3},
      "n":{"type":["number","null"]},"b":{"type":"boolean"},"e":{"enum":["x","y"]},
      "c":{"const":7},"a":{"type":"array","items":{"type":"integer"},"minItems":2},
      "d":{"type":"string","format":"date-time"}}})"));
  BOOST_TEST(std::string(d["s"].GetString()).size() >= 10u);
  BOOST_TEST(d["i"].GetInt() == 3);
  BOOST_TEST(d["n"].IsNumber());
  BOOST_TEST(d["b"].IsBool());
  BOOST_TEST(std::string(d["e"].GetString()) == "x");
  BOOST_TEST(d["c"].GetInt() == 7);
  BOOST_TEST(d["a"].Size() == 2u);
  BOOST_TEST(std::string(d["d"].GetString()) == "2026-01-01T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(refs_and_alternatives) {
  auto d = parse_json(example_for_schema(R"({"type":"object","properties":{
      "p":{"$ref":"#/$defs/point"},"q":{"anyOf":[{"type":"null"},{"type":"string"}]},
      "tree":{"$ref":"#/definitions/node"}},
      "$defs":{"point":{"type":"object","properties":{"x":{"type":"number"}}}},
      "definitions":{"node":{"type":"object","properties":{"child":{"$ref":"#/definitions/node"}}}}})"));
  BOOST_TEST(d["p"]["x"].IsNumber());
  BOOST_TEST(d["q"].IsString());
  BOOST_TEST(d["tree"].IsObject());  // recursion ends
}

BOOST_AUTO_TEST_CASE(not_a_schema) {
  BOOST_TEST(example_for_schema("not json") == "{}");
  BOOST_TEST(example_for_schema("{}") == "null");
}

BOOST_AUTO_TEST_CASE(nested_minimums_stay_small) {
  std::string schema = R"({"type":"string"})";
  for (int i = 0; i < 8; ++i) schema = R"({"type":"array","minItems":16,"items":)" + schema + "}";
  auto out = example_for_schema(schema);
  BOOST_TEST(out.size() < 100000u);
  parse_json(out);
}

BOOST_AUTO_TEST_CASE(strings_take_the_schemas_own_example_or_default) {
  auto d = parse_json(example_for_schema(R"({"type":"object","properties":{
      "zone":{"type":"string","examples":["Europe/Paris","UTC"]},
      "unit":{"type":"string","default":"celsius"},
      "odd":{"type":"string","examples":[3]}}})"));
  BOOST_TEST(std::string(d["zone"].GetString()) == "Europe/Paris");
  BOOST_TEST(std::string(d["unit"].GetString()) == "celsius");
  BOOST_TEST(std::string(d["odd"].GetString()) == "example");  // not a string: ignored
}
