#include "domain/openai/tool_request.hpp"

#include <fmt/format.h>

#include "domain/openai/message_codec.hpp"

namespace troupe::domain {

namespace {

const json_value* member(const json_value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

// A function definition: {name, description?, parameters?, strict?}.
tool_spec read_function(const json_value& f, const std::string& p) {
  get_object(f, p);
  auto* name = member(f, "name");
  if (!name) throw unprocessable(fmt::format("'{}.name' is required", p), p + ".name");
  tool_spec t;
  t.name = get_string(*name, p + ".name");
  if (!valid_function_name(t.name))
    throw bad_request(fmt::format("'{}.name' must be 1-64 characters of a-z, A-Z, 0-9, _ and -, "
                                  "got '{}'",
                                  p, t.name),
                      p + ".name");
  if (auto* d = member(f, "description")) get_string(*d, p + ".description");
  if (auto* s = member(f, "strict")) get_bool(*s, p + ".strict");
  if (auto* params = member(f, "parameters"))
    t.parameters_json = to_json_text(get_object(*params, p + ".parameters"));
  return t;
}

std::string function_choice(std::string_view name) {
  json_out out;
  out.w.StartObject();
  out.w.Key("type");
  out.w.String("function");
  out.w.Key("function");
  out.w.StartObject();
  out.w.Key("name");
  write_string(out.w, name);
  out.w.EndObject();
  out.w.EndObject();
  return out.str();
}

}  // namespace

std::string read_tools(const json_value& v, completion_request& req) {
  get_array(v, "tools");
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    auto p = fmt::format("tools[{}]", i);
    auto& tool = get_object(v[i], p);
    auto* type = member(tool, "type");
    if (!type) throw unprocessable(fmt::format("'{}.type' is required", p), p + ".type");
    // Other tool types (e.g. "custom") go upstream unread.
    if (get_string(*type, p + ".type") != "function") continue;
    auto* f = member(tool, "function");
    if (!f) throw unprocessable(fmt::format("'{}.function' is required", p), p + ".function");
    req.tools.push_back(read_function(*f, p + ".function"));
  }
  return to_json_text(v);
}

std::string read_functions(const json_value& v, completion_request& req) {
  get_array(v, "functions");
  req.legacy_functions = true;
  json_out out;
  out.w.StartArray();
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    req.tools.push_back(read_function(v[i], fmt::format("functions[{}]", i)));
    out.w.StartObject();
    out.w.Key("type");
    out.w.String("function");
    out.w.Key("function");
    v[i].Accept(out.w);
    out.w.EndObject();
  }
  out.w.EndArray();
  return out.str();
}

std::string read_tool_choice(const json_value& v, completion_request& req) {
  if (v.IsString()) {
    auto s = get_string(v, "tool_choice");
    if (s == "none") req.tool_choice = tool_choice_mode::none;
    else if (s == "auto") req.tool_choice = tool_choice_mode::automatic;
    else if (s == "required") req.tool_choice = tool_choice_mode::required;
    else
      throw bad_request("'tool_choice' must be none, auto, required or a named function, got '" +
                            s + "'",
                        "tool_choice");
    return to_json_text(v);
  }
  if (!v.IsObject())
    throw unprocessable(fmt::format("'tool_choice' must be a string or an object, got {}",
                                    json_type_name(v)),
                        "tool_choice");
  auto* type = member(v, "type");
  if (!type) throw unprocessable("'tool_choice.type' is required", "tool_choice.type");
  if (get_string(*type, "tool_choice.type") == "function") {
    auto* f = member(v, "function");
    if (!f) throw unprocessable("'tool_choice.function' is required", "tool_choice.function");
    auto* name = member(get_object(*f, "tool_choice.function"), "name");
    if (!name)
      throw unprocessable("'tool_choice.function.name' is required", "tool_choice.function.name");
    req.tool_choice = tool_choice_mode::named;
    req.tool_choice_name = get_string(*name, "tool_choice.function.name");
  }
  return to_json_text(v);  // other kinds (allowed_tools, custom) go upstream unread
}

std::string read_function_call(const json_value& v, completion_request& req) {
  if (v.IsString()) {
    auto s = get_string(v, "function_call");
    if (s == "none") req.tool_choice = tool_choice_mode::none;
    else if (s == "auto") req.tool_choice = tool_choice_mode::automatic;
    else throw bad_request("'function_call' must be none, auto or {\"name\"}", "function_call");
    return to_json_text(v);
  }
  auto& obj = get_object(v, "function_call");
  auto* name = member(obj, "name");
  if (!name) throw unprocessable("'function_call.name' is required", "function_call.name");
  req.tool_choice = tool_choice_mode::named;
  req.tool_choice_name = get_string(*name, "function_call.name");
  return function_choice(req.tool_choice_name);
}

void read_response_format(const json_value& v, completion_request& req) {
  auto& rf = get_object(v, "response_format");
  auto* type = member(rf, "type");
  if (!type) throw unprocessable("'response_format.type' is required", "response_format.type");
  auto t = get_string(*type, "response_format.type");
  if (t == "json_object") {
    req.format = reply_format::json_object;
  } else if (t == "json_schema") {
    auto* js = member(rf, "json_schema");
    if (!js)
      throw unprocessable("'response_format.json_schema' is required",
                          "response_format.json_schema");
    get_object(*js, "response_format.json_schema");
    auto* name = member(*js, "name");
    if (!name)
      throw unprocessable("'response_format.json_schema.name' is required",
                          "response_format.json_schema.name");
    if (!valid_function_name(get_string(*name, "response_format.json_schema.name")))
      throw bad_request("'response_format.json_schema.name' must be 1-64 characters of a-z, "
                        "A-Z, 0-9, _ and -",
                        "response_format.json_schema.name");
    if (auto* s = member(*js, "strict")) get_bool(*s, "response_format.json_schema.strict");
    req.format = reply_format::json_schema;
    if (auto* schema = member(*js, "schema"))
      req.schema_json = to_json_text(get_object(*schema, "response_format.json_schema.schema"));
  }
  // "text" and types Troupe does not know: a plain text reply from its own providers.
}

}  // namespace troupe::domain
