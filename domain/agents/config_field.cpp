#include "domain/agents/config_field.hpp"

#include <regex>

#include <fmt/format.h>

#include "domain/core/utf8.hpp"

namespace troupe::domain {

namespace {

[[noreturn]] void invalid(const std::string& path, const std::string& why) {
  throw bad_request(fmt::format("invalid template_config field '{}': {}", path, why), path);
}

bool has_type(const json_value& v, const std::string& type) {
  if (type == "string") return v.IsString();
  if (type == "boolean") return v.IsBool();
  if (type == "number") return v.IsNumber();
  if (type == "integer") return v.IsInt64() || v.IsUint64();
  if (type == "array") return v.IsArray();
  if (type == "object") return v.IsObject();
  return true;  // unknown schema type: accept any value
}

void check_value(const json_value& v, const config_field& f, const std::string& path);

void check_rules(const json_value& v, const field_validation& rules, const std::string& path) {
  if (v.IsNumber()) {
    double d = v.GetDouble();
    if (rules.min && d < *rules.min) invalid(path, fmt::format("must be >= {}", *rules.min));
    if (rules.max && d > *rules.max) invalid(path, fmt::format("must be <= {}", *rules.max));
  }
  std::optional<std::size_t> length;
  if (v.IsString()) length = utf8_length({v.GetString(), v.GetStringLength()});
  if (v.IsArray()) length = v.Size();
  if (length) {
    if (rules.min_length && *length < *rules.min_length)
      invalid(path, fmt::format("length must be >= {}", *rules.min_length));
    if (rules.max_length && *length > *rules.max_length)
      invalid(path, fmt::format("length must be <= {}", *rules.max_length));
  }
  if (v.IsString() && rules.pattern) {
    std::regex re(*rules.pattern, std::regex::ECMAScript);
    if (!std::regex_match(std::string(v.GetString(), v.GetStringLength()), re))
      invalid(path, fmt::format("must match pattern {}", *rules.pattern));
  }
  if (!rules.enum_values.empty()) {
    std::string text = v.IsString() ? std::string(v.GetString(), v.GetStringLength())
                                    : to_json_text(v);
    bool found = false;
    for (auto& e : rules.enum_values) found = found || e == text;
    if (!found)
      invalid(path, fmt::format("must be one of: {}", fmt::join(rules.enum_values, ", ")));
  }
}

void check_value(const json_value& v, const config_field& f, const std::string& path) {
  if (!has_type(v, f.type))
    invalid(path, fmt::format("must be of type {}, got {}", f.type, json_type_name(v)));
  if (f.validation) check_rules(v, *f.validation, path);
  if (v.IsArray() && f.items)
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
      check_value(v[i], *f.items, fmt::format("{}[{}]", path, i));
  if (v.IsObject() && !f.properties.empty()) validate_config(v, f.properties, path);
}

void write_enum(rapidjson::Writer<rapidjson::StringBuffer>& w, const std::vector<std::string>& values) {
  if (values.empty()) return;
  w.Key("enum");
  w.StartArray();
  for (auto& e : values) w.String(e);
  w.EndArray();
}

}  // namespace

void validate_config(const json_value& config, const std::vector<config_field>& fields,
                     const std::string& path) {
  if (!config.IsObject()) invalid(path, fmt::format("must be an object, got {}", json_type_name(config)));
  for (auto it = config.MemberBegin(); it != config.MemberEnd(); ++it) {
    auto key = key_of(it);
    bool known = false;
    for (auto& f : fields) known = known || f.key == key;
    if (!known) invalid(join_path(path, key), "unknown field for this template");
  }
  for (auto& f : fields) {
    auto field_path = join_path(path, f.key);
    auto it = config.FindMember(f.key);
    bool absent = it == config.MemberEnd() || (it->value.IsNull() && f.optional);
    if (absent) {
      if (!f.optional && !f.default_json) invalid(field_path, "is required");
      continue;
    }
    check_value(it->value, f, field_path);
  }
}

void write_config_field(rapidjson::Writer<rapidjson::StringBuffer>& w, const config_field& f) {
  w.StartObject();
  w.Key("key");
  w.String(f.key);
  w.Key("type");
  w.String(f.type);
  w.Key("description");
  w.String(f.description);
  if (f.default_json) {
    w.Key("default");
    write_raw(w, *f.default_json);
  }
  if (f.optional) {
    w.Key("optional");
    w.Bool(true);
  }
  if (f.validation) {
    auto& v = *f.validation;
    w.Key("validation");
    w.StartObject();
    if (v.min) { w.Key("min"); w.Double(*v.min); }
    if (v.max) { w.Key("max"); w.Double(*v.max); }
    if (v.min_length) { w.Key("minLength"); w.Uint64(*v.min_length); }
    if (v.max_length) { w.Key("maxLength"); w.Uint64(*v.max_length); }
    if (v.pattern) { w.Key("pattern"); w.String(*v.pattern); }
    write_enum(w, v.enum_values);
    w.EndObject();
  }
  if (f.items) {
    w.Key("items");
    write_config_field(w, *f.items);
  }
  if (!f.properties.empty()) {
    w.Key("properties");
    w.StartArray();
    for (auto& p : f.properties) write_config_field(w, p);
    w.EndArray();
  }
  w.EndObject();
}

namespace {
void write_schema_of(rapidjson::Writer<rapidjson::StringBuffer>& w, const config_field& f) {
  w.StartObject();
  w.Key("type");
  w.String(f.type);
  if (!f.description.empty()) { w.Key("description"); w.String(f.description); }
  if (f.default_json) { w.Key("default"); write_raw(w, *f.default_json); }
  if (f.validation) {
    auto& v = *f.validation;
    if (v.min) { w.Key("minimum"); w.Double(*v.min); }
    if (v.max) { w.Key("maximum"); w.Double(*v.max); }
    bool arr = f.type == "array";
    if (v.min_length) { w.Key(arr ? "minItems" : "minLength"); w.Uint64(*v.min_length); }
    if (v.max_length) { w.Key(arr ? "maxItems" : "maxLength"); w.Uint64(*v.max_length); }
    if (v.pattern) { w.Key("pattern"); w.String(*v.pattern); }
    write_enum(w, v.enum_values);
  }
  if (f.items) { w.Key("items"); write_schema_of(w, *f.items); }
  if (!f.properties.empty()) {
    w.Key("properties");
    w.StartObject();
    for (auto& p : f.properties) { w.Key(p.key.c_str(), static_cast<rapidjson::SizeType>(p.key.size())); write_schema_of(w, p); }
    w.EndObject();
    w.Key("additionalProperties");
    w.Bool(false);
  }
  w.EndObject();
}
}  // namespace

void write_json_schema(rapidjson::Writer<rapidjson::StringBuffer>& w,
                       const std::vector<config_field>& fields) {
  w.StartObject();
  w.Key("type");
  w.String("object");
  w.Key("properties");
  w.StartObject();
  for (auto& f : fields) { w.Key(f.key.c_str(), static_cast<rapidjson::SizeType>(f.key.size())); write_schema_of(w, f); }
  w.EndObject();
  w.Key("required");
  w.StartArray();
  for (auto& f : fields)
    if (!f.optional && !f.default_json) w.String(f.key);
  w.EndArray();
  w.Key("additionalProperties");
  w.Bool(false);
  w.EndObject();
}

}  // namespace troupe::domain
