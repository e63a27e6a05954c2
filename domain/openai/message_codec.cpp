#include "domain/openai/message_codec.hpp"

#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

#include "domain/openai/completion_codec.hpp"

namespace troupe::domain {

namespace {

const json_value* find(const json_value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

const json_value& required(const json_value& obj, const char* key, const std::string& param) {
  auto* v = find(obj, key);
  if (!v) throw unprocessable(fmt::format("'{}.{}' is required", param, key), join_path(param, key));
  return *v;
}

// Checks the parts OpenAI defines; other part types go on as they are
// (the upstream judges them). Returns the text parts joined.
std::string read_parts(const json_value& v, const std::string& param) {
  std::string text;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    auto p = fmt::format("{}[{}]", param, i);
    auto& part = get_object(v[i], p);
    auto type = get_string(required(part, "type", p), p + ".type");
    if (type == "text") {
      if (!text.empty()) text += '\n';
      text += get_string(required(part, "text", p), p + ".text");
    } else if (type == "image_url") {
      auto& img = get_object(required(part, "image_url", p), p + ".image_url");
      get_string(required(img, "url", p + ".image_url"), p + ".image_url.url");
      if (auto* d = find(img, "detail"); d && !d->IsNull()) {
        auto detail = get_string(*d, p + ".image_url.detail");
        if (detail != "auto" && detail != "low" && detail != "high")
          throw bad_request(fmt::format("'{}.image_url.detail' must be auto, low or high", p),
                            p + ".image_url.detail");
      }
    } else if (type == "input_audio") {
      auto& a = get_object(required(part, "input_audio", p), p + ".input_audio");
      get_string(required(a, "data", p + ".input_audio"), p + ".input_audio.data");
      get_string(required(a, "format", p + ".input_audio"), p + ".input_audio.format");
    } else if (type == "file") {
      get_object(required(part, "file", p), p + ".file");
    } else if (type == "refusal") {
      get_string(required(part, "refusal", p), p + ".refusal");
    }
  }
  return text;
}

void read_content(const json_value& v, const std::string& param, chat_message& m,
                  message_extra& x) {
  if (v.IsString()) {
    m.content.assign(v.GetString(), v.GetStringLength());
  } else if (v.IsNull()) {
    if (m.role != role::assistant)
      throw unprocessable(fmt::format("'{}' may be null only in an assistant message", param),
                          param);
    m.kind = content_kind::null;
  } else if (v.IsArray()) {
    m.content = read_parts(v, param);
    m.kind = content_kind::parts;
    x.parts_json = to_json_text(v);
  } else {
    throw unprocessable(fmt::format("'{}' must be a string or an array of content parts, got {}",
                                    param, json_type_name(v)),
                        param);
  }
}

tool_call read_tool_call(const json_value& v, const std::string& p) {
  get_object(v, p);
  tool_call c;
  c.id = get_string(required(v, "id", p), p + ".id");
  if (auto* t = find(v, "type"); t && !t->IsNull() && get_string(*t, p + ".type") != "function")
    throw bad_request(fmt::format("'{}.type': only \"function\" tool calls are supported", p),
                      p + ".type");
  auto& f = get_object(required(v, "function", p), p + ".function");
  c.name = get_string(required(f, "name", p + ".function"), p + ".function.name");
  c.arguments = get_string(required(f, "arguments", p + ".function"), p + ".function.arguments");
  return c;
}

// Legacy `function_call` of an assistant message: one call, no id.
tool_call read_function_call(const json_value& v, const std::string& p) {
  get_object(v, p);
  tool_call c;
  c.name = get_string(required(v, "name", p), p + ".name");
  if (auto* a = find(v, "arguments"); a && !a->IsNull())
    c.arguments = get_string(*a, p + ".arguments");
  c.id = legacy_call_id(c.name);
  return c;
}

}  // namespace

bool valid_function_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '_' && c != '-') return false;
  return true;
}

chat_message read_message(const json_value& v, const std::string& param) {
  get_object(v, param);
  auto role_name = get_string(required(v, "role", param), param + ".role");
  auto r = parse_role(role_name);
  if (!r)
    throw bad_request(fmt::format("'{}.role' must be one of system, developer, user, assistant, "
                                  "tool, function; got '{}'",
                                  param, role_name),
                      param + ".role");
  bool legacy_function = role_name == "function";
  chat_message m;
  m.role = *r;
  message_extra x;
  bool have_content = false;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    auto key = key_of(it);
    auto& val = it->value;
    auto p = join_path(param, key);
    if (key == "role") continue;
    if (key == "content") {
      read_content(val, p, m, x);
      have_content = true;
    } else if (val.IsNull()) {
      continue;  // an explicit null is the field left out
    } else if (key == "name") {
      x.name = get_string(val, p);
    } else if (key == "tool_calls") {
      get_array(val, p);
      for (rapidjson::SizeType i = 0; i < val.Size(); ++i)
        x.tool_calls.push_back(read_tool_call(val[i], fmt::format("{}[{}]", p, i)));
    } else if (key == "function_call") {
      x.tool_calls.push_back(read_function_call(val, p));
    } else if (key == "tool_call_id") {
      x.tool_call_id = get_string(val, p);
    } else if (key == "refusal") {
      x.refusal = get_string(val, p);
    } else {
      x.other.emplace_back(std::string(key), to_json_text(val));
    }
  }
  if (!have_content) {
    if (m.role != role::assistant)
      throw unprocessable(fmt::format("'{}.content' is required", param), param + ".content");
    m.kind = content_kind::null;
  }
  if (!x.tool_calls.empty() && m.role != role::assistant)
    throw bad_request(fmt::format("'{}': only assistant messages carry tool calls", param),
                      param + ".tool_calls");
  if (legacy_function) {
    if (x.name.empty())
      throw unprocessable(fmt::format("'{}.name' is required in a function message", param),
                          param + ".name");
    x.tool_call_id = legacy_call_id(x.name);
    x.name.clear();  // a tool message has no name: its id ties it to the call
  }
  if (m.role == role::tool && x.tool_call_id.empty())
    throw bad_request(fmt::format("'{}.tool_call_id' is required in a tool message", param),
                      param + ".tool_call_id", "missing_required_parameter");
  if (!x.empty()) m.extra = std::make_shared<const message_extra>(std::move(x));
  m.words = words_of_text(m.content);
  return m;
}

message_list read_messages(const json_value& array, std::string_view param) {
  get_array(array, param);
  message_list out;
  out.reserve(array.Size());
  for (rapidjson::SizeType i = 0; i < array.Size(); ++i)
    out.push_back(read_message(array[i], fmt::format("{}[{}]", param, i)));
  return out;
}

void write_message_members(json_writer& w, const chat_message& m) {
  w.Key("role");
  write_string(w, to_string(m.role));
  w.Key("content");
  switch (m.kind) {
    case content_kind::text: write_string(w, m.content); break;
    case content_kind::null: w.Null(); break;
    case content_kind::parts:
      w.RawValue(m.extra->parts_json.data(), m.extra->parts_json.size(), rapidjson::kArrayType);
      break;
  }
  if (!m.extra) return;
  auto& x = *m.extra;
  if (!x.name.empty()) {
    w.Key("name");
    write_string(w, x.name);
  }
  if (!x.tool_calls.empty()) {
    w.Key("tool_calls");
    w.StartArray();
    for (auto& c : x.tool_calls) {
      w.StartObject();
      w.Key("id");
      write_string(w, c.id);
      w.Key("type");
      w.String("function");
      w.Key("function");
      w.StartObject();
      w.Key("name");
      write_string(w, c.name);
      w.Key("arguments");
      write_string(w, c.arguments);
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
  }
  if (!x.tool_call_id.empty()) {
    w.Key("tool_call_id");
    write_string(w, x.tool_call_id);
  }
  if (x.refusal) {
    w.Key("refusal");
    write_string(w, *x.refusal);
  }
  for (auto& [key, raw] : x.other) {
    write_string_key(w, key);
    write_raw(w, raw);
  }
}

void write_message(json_writer& w, const chat_message& m) {
  w.StartObject();
  write_message_members(w, m);
  w.EndObject();
}

std::string encode_message(const chat_message& m) {
  json_out out;
  write_message(out.w, m);
  return out.str();
}

chat_message decode_message(std::string_view json) {
  rapidjson::Document doc;
  try {
    parse_json(json, doc);
    return read_message(doc, "message");
  } catch (const api_error& e) {
    throw std::runtime_error("a stored message is unreadable: " + e.message);
  }
}

}  // namespace troupe::domain
