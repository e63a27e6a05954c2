#include "domain/core/json.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace troupe::domain {

namespace {
// Iterative: nesting depth cannot overflow the stack. Trailing bytes after the
// root value are an error (no kParseStopWhenDoneFlag).
constexpr unsigned parse_flags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
    rapidjson::kParseFullPrecisionFlag;  // numbers forwarded upstream keep their value
}

namespace {

// Nesting depth outside strings; stops counting once past the limit.
int nesting_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size() && deepest <= max_json_depth; ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

void parse_json(std::string_view text, rapidjson::Document& doc) {
  if (nesting_depth(text) > max_json_depth)
    throw bad_request(fmt::format("JSON nested deeper than {} levels", max_json_depth), {},
                      "json_too_deep");
  doc.Parse<parse_flags>(text.data(), text.size());
  if (doc.HasParseError())
    throw bad_request(fmt::format("invalid JSON body at offset {}: {}", doc.GetErrorOffset(),
                                  rapidjson::GetParseError_En(doc.GetParseError())),
                      {}, "invalid_json");
}

void parse_json_object(std::string_view text, rapidjson::Document& doc) {
  parse_json(text, doc);
  if (!doc.IsObject())
    throw unprocessable(fmt::format("request body must be a JSON object, got {}",
                                    json_type_name(doc)));
}

std::string to_json_text(const json_value& v) {
  json_out out;
  v.Accept(out.w);
  return out.str();
}

void write_raw(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view text) {
  w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
}

std::string join_path(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return fmt::format("{}.{}", prefix, key);
}

const char* json_type_name(const json_value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "boolean";
    case rapidjson::kObjectType: return "object";
    case rapidjson::kArrayType: return "array";
    case rapidjson::kStringType: return "string";
    case rapidjson::kNumberType: return v.IsInt64() || v.IsUint64() ? "integer" : "number";
  }
  return "unknown";
}

namespace {
[[noreturn]] void wrong_type(const json_value& v, std::string_view param, const char* want) {
  throw unprocessable(fmt::format("'{}' must be {}, got {}", param, want, json_type_name(v)),
                      std::string(param));
}
}  // namespace

std::string get_string(const json_value& v, std::string_view param) {
  if (!v.IsString()) wrong_type(v, param, "a string");
  return {v.GetString(), v.GetStringLength()};
}

bool get_bool(const json_value& v, std::string_view param) {
  if (!v.IsBool()) wrong_type(v, param, "a boolean");
  return v.GetBool();
}

double get_number(const json_value& v, std::string_view param) {
  if (!v.IsNumber()) wrong_type(v, param, "a number");
  return v.GetDouble();
}

std::int64_t get_int(const json_value& v, std::string_view param) {
  if (v.IsInt64()) return v.GetInt64();
  // 5.0 is an integer for JSON clients that only have doubles.
  if (v.IsDouble()) {
    double d = v.GetDouble();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15)
      return static_cast<std::int64_t>(d);
  }
  // The right type with a value no field here can hold: an invalid value.
  if (v.IsUint64() || (v.IsDouble() && std::floor(v.GetDouble()) == v.GetDouble()))
    throw bad_request(fmt::format("'{}' is out of range", param), std::string(param));
  wrong_type(v, param, "an integer");
}

const json_value& get_object(const json_value& v, std::string_view param) {
  if (!v.IsObject()) wrong_type(v, param, "an object");
  return v;
}

const json_value& get_array(const json_value& v, std::string_view param) {
  if (!v.IsArray()) wrong_type(v, param, "an array");
  return v;
}

std::vector<std::string> get_string_array(const json_value& v, std::string_view param) {
  get_array(v, param);
  std::vector<std::string> out;
  out.reserve(v.Size());
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
    out.push_back(get_string(v[i], fmt::format("{}[{}]", param, i)));
  return out;
}

}  // namespace troupe::domain
