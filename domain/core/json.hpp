#pragma once
// RapidJSON helpers shared by the codecs: strict parsing (iterative, so deep
// nesting cannot overflow the stack; UTF-8 validated) and typed field access
// that throws api_error with the right status (422 wrong shape, 400 bad value).
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/api_error.hpp"

namespace troupe::domain {

using json_value = rapidjson::Value;
using json_writer_t = rapidjson::Writer<rapidjson::StringBuffer>;

// Deepest nesting of arrays and objects a request may have. Deeper input is
// refused before parsing: later recursive walks (validation, re-serializing
// a config) then cannot overflow the stack.
inline constexpr int max_json_depth = 128;

// Parses `text` into `doc`; throws api_error 400 on malformed JSON, invalid
// UTF-8, or nesting deeper than max_json_depth.
void parse_json(std::string_view text, rapidjson::Document& doc);

// Parses and requires an object at the top level (422 otherwise).
void parse_json_object(std::string_view text, rapidjson::Document& doc);

struct json_out {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  std::string str() const { return std::string(buf.GetString(), buf.GetSize()); }
};

// A string value that need not end in NUL (and may hold one).
inline void write_string(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

inline void write_string_key(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// {"message","type","param","code"}
void write_error_object(rapidjson::Writer<rapidjson::StringBuffer>& w, const api_error& e);

// Serializes any value back to compact JSON text.
std::string to_json_text(const json_value& v);

// Writes pre-serialized JSON text verbatim (must be valid JSON).
void write_raw(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view json_text);

// "a.b" joins for error params.
std::string join_path(std::string_view prefix, std::string_view key);

const char* json_type_name(const json_value& v);

// Typed readers: wrong JSON type -> 422 naming `param`.
std::string get_string(const json_value& v, std::string_view param);
bool get_bool(const json_value& v, std::string_view param);
double get_number(const json_value& v, std::string_view param);
std::int64_t get_int(const json_value& v, std::string_view param);
const json_value& get_object(const json_value& v, std::string_view param);
const json_value& get_array(const json_value& v, std::string_view param);
std::vector<std::string> get_string_array(const json_value& v, std::string_view param);

inline std::string_view key_of(const json_value::ConstMemberIterator& it) {
  return {it->name.GetString(), it->name.GetStringLength()};
}

}  // namespace troupe::domain
