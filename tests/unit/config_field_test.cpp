#define BOOST_TEST_MODULE config_field
#include <boost/test/unit_test.hpp>

#include "domain/agents/config_field.hpp"

using namespace troupe::domain;

namespace {

std::vector<config_field> schema() {
  config_field name{"name", "string", "", std::nullopt, false, field_validation{}, nullptr, {}};
  name.validation->min_length = 2;
  name.validation->max_length = 5;
  name.validation->pattern = "[a-z]+";
  config_field level{"level", "integer", "", "\"1\"", true, field_validation{}, nullptr, {}};
  level.validation->min = 1;
  level.validation->max = 3;
  config_field mode{"mode", "string", "", std::nullopt, true, field_validation{}, nullptr, {}};
  mode.validation->enum_values = {"fast", "slow"};
  auto tag = std::make_shared<config_field>(
      config_field{"tag", "string", "", std::nullopt, false, field_validation{}, nullptr, {}});
  tag->validation->max_length = 3;
  config_field tags{"tags", "array", "", std::nullopt, true, field_validation{}, tag, {}};
  tags.validation->max_length = 2;
  config_field inner_flag{"flag", "boolean", "", std::nullopt, false, std::nullopt, nullptr, {}};
  config_field nested{"nested", "object", "", std::nullopt, true, std::nullopt, nullptr, {inner_flag}};
  return {name, level, mode, tags, nested};
}

// The param of the 400 that validating `json` raises, or "" when valid.
std::string failing_param(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  try {
    validate_config(doc, schema(), "template_config");
  } catch (const api_error& e) {
    BOOST_TEST(e.status == 400);
    BOOST_TEST(e.message.find(e.param) != std::string::npos);
    return e.param;
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(valid_config_passes) {
  BOOST_TEST(failing_param(R"({"name":"abc"})") == "");
  BOOST_TEST(failing_param(
                 R"({"name":"abc","level":3,"mode":"slow","tags":["a","bc"],"nested":{"flag":true}})") ==
             "");
}

BOOST_AUTO_TEST_CASE(required_field_missing) {
  BOOST_TEST(failing_param(R"({})") == "template_config.name");
}

BOOST_AUTO_TEST_CASE(types_are_checked) {
  BOOST_TEST(failing_param(R"({"name":5})") == "template_config.name");
  BOOST_TEST(failing_param(R"({"name":"abc","level":1.5})") == "template_config.level");
  BOOST_TEST(failing_param(R"({"name":"abc","tags":"a"})") == "template_config.tags");
}

BOOST_AUTO_TEST_CASE(ranges_and_lengths) {
  BOOST_TEST(failing_param(R"({"name":"abc","level":0})") == "template_config.level");
  BOOST_TEST(failing_param(R"({"name":"abc","level":4})") == "template_config.level");
  BOOST_TEST(failing_param(R"({"name":"a"})") == "template_config.name");
  BOOST_TEST(failing_param(R"({"name":"abcdef"})") == "template_config.name");
  BOOST_TEST(failing_param(R"({"name":"abc","tags":["a","b","c"]})") == "template_config.tags");
}

BOOST_AUTO_TEST_CASE(lengths_count_characters_not_bytes) {
  // five 2-byte characters fit a 5-character limit, but fail the [a-z] pattern
  BOOST_TEST(failing_param(R"({"name":"ééééé"})") == "template_config.name");
  rapidjson::Document doc;
  config_field f{"s", "string", "", std::nullopt, false, field_validation{}, nullptr, {}};
  f.validation->max_length = 5;
  doc.Parse(R"({"s":"ééééé"})");
  BOOST_CHECK_NO_THROW(validate_config(doc, {f}, "c"));
}

BOOST_AUTO_TEST_CASE(pattern_and_enum) {
  BOOST_TEST(failing_param(R"({"name":"AB"})") == "template_config.name");
  BOOST_TEST(failing_param(R"({"name":"abc","mode":"medium"})") == "template_config.mode");
}

BOOST_AUTO_TEST_CASE(nested_items_and_properties) {
  BOOST_TEST(failing_param(R"({"name":"abc","tags":["a","long"]})") == "template_config.tags[1]");
  BOOST_TEST(failing_param(R"({"name":"abc","nested":{}})") == "template_config.nested.flag");
  BOOST_TEST(failing_param(R"({"name":"abc","nested":{"flag":1}})") ==
             "template_config.nested.flag");
  BOOST_TEST(failing_param(R"({"name":"abc","nested":{"flag":true,"x":1}})") ==
             "template_config.nested.x");
}

BOOST_AUTO_TEST_CASE(unknown_key_is_rejected) {
  BOOST_TEST(failing_param(R"({"name":"abc","extra":1})") == "template_config.extra");
}

BOOST_AUTO_TEST_CASE(schema_serializes_with_validation) {
  json_out out;
  write_config_field(out.w, schema()[0]);
  auto s = out.str();
  BOOST_TEST(s.find(R"("key":"name")") != std::string::npos);
  BOOST_TEST(s.find(R"("minLength":2)") != std::string::npos);
  BOOST_TEST(s.find(R"("pattern":"[a-z]+")") != std::string::npos);
}
