#pragma once
// A template's configuration schema (ConfigField) and the validation of an
// agent's template_config against it.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/core/json.hpp"

namespace troupe::domain {

struct field_validation {
  std::optional<double> min, max;
  std::optional<std::size_t> min_length, max_length;  // chars for strings, items for arrays
  std::optional<std::string> pattern;                   // ECMAScript regex, whole value
  std::vector<std::string> enum_values;
};

struct config_field {
  std::string key;
  std::string type;  // string | integer | number | boolean | array | object
  std::string description;
  std::optional<std::string> default_json;  // JSON text
  bool optional = false;
  std::optional<field_validation> validation;
  std::shared_ptr<const config_field> items;  // array element schema
  std::vector<config_field> properties;       // object members
};

// Throws api_error 400 naming the offending field as "<path>.<key>".
void validate_config(const json_value& config, const std::vector<config_field>& fields,
                     const std::string& path);

void write_config_field(rapidjson::Writer<rapidjson::StringBuffer>& w, const config_field& f);

// The same schema as JSON Schema (draft 7), for GET /v1/schema.
void write_json_schema(rapidjson::Writer<rapidjson::StringBuffer>& w,
                       const std::vector<config_field>& fields);

}  // namespace troupe::domain
