#include "domain/openai/schema_example.hpp"

#include <cmath>

#include "domain/core/json.hpp"

namespace troupe::domain {

namespace {

constexpr int max_depth = 16;  // recursive $refs end here
// Values written in all: nested arrays with minItems must not multiply into gigabytes.
constexpr int max_values = 2000;

class example_writer {
 public:
  explicit example_writer(const json_value& root) : root_(root) {}

  void write(json_writer_t& w, const json_value& schema, int depth) {
    if (depth > max_depth || !schema.IsObject() || ++values_ > max_values) {
      w.Null();
      return;
    }
    if (auto* ref = member(schema, "$ref"); ref && ref->IsString())
      if (auto* target = resolve({ref->GetString(), ref->GetStringLength()}))
        return write(w, *target, depth + 1);
    if (auto* c = member(schema, "const")) {
      c->Accept(w);
      return;
    }
    if (auto* e = member(schema, "enum"); e && e->IsArray() && !e->Empty()) {
      (*e)[0].Accept(w);
      return;
    }
    for (auto key : {"anyOf", "oneOf", "allOf"})
      if (auto* alts = member(schema, key); alts && alts->IsArray() && !alts->Empty())
        return write(w, first_not_null(*alts), depth + 1);
    auto type = type_of(schema);
    if (type == "object") return object(w, schema, depth);
    if (type == "array") return array(w, schema, depth);
    if (type == "string") return string(w, schema);
    if (type == "integer")
      w.Int64(static_cast<std::int64_t>(std::ceil(lower_bound(schema))));
    else if (type == "number")
      w.Double(lower_bound(schema));
    else if (type == "boolean")
      w.Bool(true);
    else
      w.Null();
  }

 private:
  static const json_value* member(const json_value& obj, const char* key) {
    auto it = obj.FindMember(key);
    return it == obj.MemberEnd() ? nullptr : &it->value;
  }

  const json_value* resolve(std::string_view ref) const {
    for (std::string_view prefix : {"#/$defs/", "#/definitions/"}) {
      if (ref.rfind(prefix, 0) != 0) continue;
      auto* defs = member(root_, prefix == "#/$defs/" ? "$defs" : "definitions");
      if (!defs || !defs->IsObject()) return nullptr;
      std::string name(ref.substr(prefix.size()));
      return member(*defs, name.c_str());
    }
    return ref == "#" ? &root_ : nullptr;
  }

  static const json_value& first_not_null(const json_value& alts) {
    for (auto& a : alts.GetArray())
      if (a.IsObject() && type_of(a) != "null") return a;
    return alts[0];
  }

  static std::string_view type_of(const json_value& schema) {
    auto* t = member(schema, "type");
    if (t && t->IsString()) return {t->GetString(), t->GetStringLength()};
    if (t && t->IsArray())
      for (auto& x : t->GetArray())
        if (x.IsString() && std::string_view(x.GetString()) != "null") return x.GetString();
    if (member(schema, "properties")) return "object";
    if (member(schema, "items")) return "array";
    return "null";
  }

  static double lower_bound(const json_value& schema) {
    if (auto* m = member(schema, "minimum"); m && m->IsNumber()) return m->GetDouble();
    if (auto* m = member(schema, "exclusiveMinimum"); m && m->IsNumber()) return m->GetDouble() + 1;
    if (auto* m = member(schema, "maximum"); m && m->IsNumber() && m->GetDouble() < 0)
      return m->GetDouble();
    return 0;
  }

  void object(json_writer_t& w, const json_value& schema, int depth) {
    w.StartObject();
    if (auto* props = member(schema, "properties"); props && props->IsObject())
      for (auto it = props->MemberBegin(); it != props->MemberEnd(); ++it) {
        write_string_key(w, key_of(it));
        write(w, it->value, depth + 1);
      }
    w.EndObject();
  }

  void array(json_writer_t& w, const json_value& schema, int depth) {
    std::int64_t n = 1;
    if (auto* m = member(schema, "minItems"); m && m->IsInt64()) n = std::max<std::int64_t>(1, m->GetInt64());
    if (auto* m = member(schema, "maxItems"); m && m->IsInt64()) n = std::min(n, m->GetInt64());
    n = std::min<std::int64_t>(n, 16);
    w.StartArray();
    auto* items = member(schema, "items");
    for (std::int64_t i = 0; i < n && items && values_ < max_values; ++i) write(w, *items, depth + 1);
    w.EndArray();
  }

  static void string(json_writer_t& w, const json_value& schema) {
    // The schema's own example or default, when it gives one.
    for (auto key : {"examples", "default"}) {
      auto* x = member(schema, key);
      if (x && x->IsArray() && !x->Empty()) x = &(*x)[0];
      if (x && x->IsString()) return write_string(w, {x->GetString(), x->GetStringLength()});
    }
    std::string s = "example";
    if (auto* f = member(schema, "format"); f && f->IsString()) {
      std::string_view format(f->GetString());
      if (format == "date-time") s = "2026-01-01T00:00:00Z";
      else if (format == "date") s = "2026-01-01";
      else if (format == "email") s = "user@example.com";
      else if (format == "uri" || format == "url") s = "https://example.com";
      else if (format == "uuid") s = "00000000-0000-4000-8000-000000000000";
    }
    if (auto* m = member(schema, "minLength"); m && m->IsUint64() && s.size() < m->GetUint64())
      s.append(static_cast<std::size_t>(std::min<std::uint64_t>(m->GetUint64(), 4096)) - s.size(), 'x');
    if (auto* m = member(schema, "maxLength"); m && m->IsUint64() && s.size() > m->GetUint64())
      s.resize(static_cast<std::size_t>(m->GetUint64()));
    write_string(w, s);
  }

  const json_value& root_;
  int values_ = 0;
};

}  // namespace

std::string example_for_schema(std::string_view schema_json) {
  rapidjson::Document doc;
  try {
    parse_json(schema_json, doc);
  } catch (const api_error&) {
    return "{}";
  }
  json_out out;
  example_writer(doc).write(out.w, doc, 0);
  return out.str();
}

}  // namespace troupe::domain
