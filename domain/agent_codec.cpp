#include "domain/agent_codec.hpp"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

#include "domain/clock.hpp"
#include "domain/ids.hpp"
#include "domain/json.hpp"
#include "domain/templates.hpp"
#include "domain/utf8.hpp"

namespace troupe::domain {

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::optional<std::string> text_field(const json_value& v, const char* param) {
  if (v.IsNull()) return std::string{};
  return get_string(v, param);
}

void read_conversation(const json_value& v, agent_patch& p) {
  get_object(v, "conversation_config");
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    auto key = key_of(it);
    auto param = join_path("conversation_config", key);
    auto& x = it->value;
    if (key == "continuous") {
      p.continuous = get_bool(x, param);
    } else if (key == "historyLength" || key == "history_length") {
      auto n = get_int(x, param);
      if (n < 1 || n > 1000)
        throw bad_request(fmt::format("'{}' must be between 1 and 1000", param), param);
      p.history_length = static_cast<int>(n);
    } else if (key == "temperature") {
      if (x.IsNull()) continue;
      auto t = get_number(x, param);
      if (t < 0 || t > 2) throw bad_request(fmt::format("'{}' must be between 0 and 2", param), param);
      p.temperature = t;
    } else if (key == "max_tokens") {
      if (x.IsNull()) continue;
      auto n = get_int(x, param);
      if (n <= 0) throw bad_request(fmt::format("'{}' must be greater than 0", param), param);
      p.max_tokens = n;
    } else {
      throw unprocessable(fmt::format("unknown field '{}'", param), param);
    }
  }
}

void check_name(const std::string& name) {
  auto len = utf8_length(name);
  if (len < 1 || len > 100)
    throw bad_request("'name' must be 1 to 100 characters", "name");
  if (is_blank(name)) throw bad_request("'name' must not be blank", "name");
}

}  // namespace

agent_patch parse_agent_patch(std::string_view body,
                              const std::function<bool(const std::string&)>& provider_known) {
  rapidjson::Document doc;
  parse_json_object(body, doc);
  agent_patch p;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    auto key = key_of(it);
    auto& v = it->value;
    if (key == "id") {
      auto id = get_string(v, "id");
      if (!valid_id(id))
        throw bad_request("'id' must be 1-128 characters of A-Z a-z 0-9 . _ : -", "id");
      p.id = id;
    } else if (key == "name") {
      p.name = get_string(v, "name");
      check_name(*p.name);
    } else if (key == "template_id") {
      p.template_id = get_string(v, "template_id");
      if (!find_template(*p.template_id))
        throw bad_request(fmt::format("unknown template_id '{}'", *p.template_id), "template_id",
                          "unknown_template");
    } else if (key == "template_version_id") {
      p.template_version = get_string(v, "template_version_id");
    } else if (key == "template_config") {
      if (v.IsNull()) {
        p.template_config_json = "{}";
        continue;
      }
      get_object(v, "template_config");
      p.template_config_json = to_json_text(v);
    } else if (key == "system_prompt") {
      p.system_prompt = text_field(v, "system_prompt");
    } else if (key == "description") {
      p.description = text_field(v, "description");
    } else if (key == "avatar_url") {
      p.avatar_url = text_field(v, "avatar_url");
    } else if (key == "type") {
      p.type = text_field(v, "type");
    } else if (key == "conversation_config") {
      if (!v.IsNull()) read_conversation(v, p);
    } else if (key == "toolsets") {
      p.toolsets = v.IsNull() ? std::vector<std::string>{} : get_string_array(v, "toolsets");
    } else if (key == "llm_config_id") {
      p.llm_config_id = text_field(v, "llm_config_id");
      if (!p.llm_config_id->empty() && !provider_known(*p.llm_config_id))
        throw bad_request(
            fmt::format("llm_config_id '{}' names no provider of the services file",
                        *p.llm_config_id),
            "llm_config_id", "unknown_provider");
    } else if (key == "agent_line_id") {
      p.agent_line_id = text_field(v, "agent_line_id");
    } else if (key == "version_type") {
      p.version_type = text_field(v, "version_type");
    } else if (key == "version_number") {
      if (!v.IsNull() && !v.IsString() && !v.IsNumber())
        throw unprocessable("'version_number' must be a string or a number", "version_number");
      p.version_number_json = v.IsNull() ? std::string{} : to_json_text(v);
    } else if (key == "owner_id") {
      p.owner_id = text_field(v, "owner_id");
    } else if (key == "status") {
      auto s = get_string(v, "status");
      p.status = parse_agent_status(s);
      if (!p.status)
        throw bad_request("'status' must be one of created, active, inactive, error", "status");
    } else {
      throw unprocessable(fmt::format("unknown field '{}'", key), std::string(key));
    }
  }
  return p;
}

agent_config apply_agent_patch(const agent_patch& p, agent_config a, bool creating,
                               std::size_t max_config_bytes) {
  if (creating) {
    if (!p.name) throw unprocessable("'name' is required", "name");
    if (!p.template_id) throw unprocessable("'template_id' is required", "template_id");
  } else if (p.id && *p.id != a.id) {
    throw bad_request("'id' cannot be changed", "id");
  }
  auto set = [](auto& field, const auto& value) {
    if (value) field = *value;
  };
  set(a.id, p.id);
  set(a.name, p.name);
  set(a.description, p.description);
  set(a.template_id, p.template_id);
  set(a.template_version, p.template_version);
  set(a.system_prompt, p.system_prompt);
  set(a.avatar_url, p.avatar_url);
  set(a.type, p.type);
  set(a.llm_config_id, p.llm_config_id);
  set(a.agent_line_id, p.agent_line_id);
  set(a.version_type, p.version_type);
  set(a.version_number_json, p.version_number_json);
  set(a.owner_id, p.owner_id);
  set(a.template_config_json, p.template_config_json);
  set(a.status, p.status);
  set(a.conversation.continuous, p.continuous);
  set(a.conversation.history_length, p.history_length);
  if (p.temperature) a.conversation.temperature = p.temperature;
  if (p.max_tokens) a.conversation.max_tokens = p.max_tokens;
  set(a.toolsets, p.toolsets);

  if (creating && a.id.empty()) a.id = new_id("agent-");
  auto* tmpl = find_template(a.template_id);
  if (!tmpl) throw bad_request(fmt::format("unknown template_id '{}'", a.template_id), "template_id");
  rapidjson::Document cfg;
  cfg.Parse(a.template_config_json.c_str());
  validate_config(cfg, tmpl->config, "template_config");

  auto now = now_ms();
  if (creating) a.created_at_ms = now;
  a.updated_at_ms = std::max(now, a.created_at_ms);
  auto size = encode_agent(a).size();
  if (size > max_config_bytes)
    throw bad_request(fmt::format("agent configuration is {} bytes; the limit is {} bytes", size,
                                  max_config_bytes),
                      {}, "config_too_large");
  return a;
}

agent_status parse_status_body(std::string_view body) {
  rapidjson::Document doc;
  parse_json_object(body, doc);
  std::optional<agent_status> status;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    if (key_of(it) != "status")
      throw unprocessable(fmt::format("unknown field '{}'", key_of(it)), std::string(key_of(it)));
    auto s = get_string(it->value, "status");
    status = parse_agent_status(s);
    if (!status)
      throw bad_request("'status' must be one of created, active, inactive, error", "status");
  }
  if (!status) throw unprocessable("'status' is required", "status");
  return *status;
}

namespace {

void string_or_null(writer& w, const std::string& s) {
  if (s.empty())
    w.Null();
  else
    w.String(s);
}

void write_agent(writer& w, const agent_config& a) {
  w.StartObject();
  w.Key("id");
  w.String(a.id);
  w.Key("name");
  w.String(a.name);
  w.Key("description");
  w.String(a.description);
  w.Key("template_id");
  w.String(a.template_id);
  w.Key("template_version");
  w.String(a.template_version);
  w.Key("status");
  w.String(std::string(to_string(a.status)));
  w.Key("configuration");
  w.StartObject();
  w.Key("system_prompt");
  w.String(a.system_prompt);
  w.Key("llm_config_id");
  string_or_null(w, a.llm_config_id);
  w.Key("conversation_config");
  w.StartObject();
  w.Key("continuous");
  w.Bool(a.conversation.continuous);
  w.Key("historyLength");
  w.Int(a.conversation.history_length);
  w.Key("temperature");
  if (a.conversation.temperature)
    w.Double(*a.conversation.temperature);
  else
    w.Null();
  w.Key("max_tokens");
  if (a.conversation.max_tokens)
    w.Int64(*a.conversation.max_tokens);
  else
    w.Null();
  w.EndObject();
  w.Key("toolsets");
  w.StartArray();
  for (auto& t : a.toolsets) w.String(t);
  w.EndArray();
  w.Key("template_config");
  write_raw(w, a.template_config_json);
  w.EndObject();
  w.Key("owner_id");
  string_or_null(w, a.owner_id);
  w.Key("created_at");
  w.String(iso8601(a.created_at_ms));
  w.Key("updated_at");
  w.String(iso8601(a.updated_at_ms));
  w.Key("metadata");
  w.StartObject();
  w.Key("type");
  string_or_null(w, a.type);
  w.Key("avatar_url");
  string_or_null(w, a.avatar_url);
  w.Key("agent_line_id");
  string_or_null(w, a.agent_line_id);
  w.Key("version_type");
  string_or_null(w, a.version_type);
  w.Key("version_number");
  if (a.version_number_json.empty())
    w.Null();
  else
    write_raw(w, a.version_number_json);
  w.EndObject();
  w.EndObject();
}

void write_model(writer& w, const agent_config& a) {
  w.StartObject();
  w.Key("id");
  w.String(a.id);
  w.Key("object");
  w.String("model");
  w.Key("created");
  w.Int64(a.created_at_ms / 1000);
  w.Key("owned_by");
  w.String(a.owner_id.empty() ? std::string("troupe") : a.owner_id);
  w.EndObject();
}

}  // namespace

std::string encode_agent(const agent_config& a) {
  json_out out;
  write_agent(out.w, a);
  return out.str();
}

namespace {

// Readers for stored agents: the document was written by encode_agent, so a
// mismatch means a damaged store, not a client error.
struct stored_reader {
  const json_value& v;
  const json_value& at(const char* key) const {
    auto it = v.FindMember(key);
    if (it == v.MemberEnd()) throw std::runtime_error(std::string("stored agent lacks '") + key + "'");
    return it->value;
  }
  std::string text(const char* key) const {
    auto& x = at(key);
    if (x.IsNull()) return {};
    if (!x.IsString()) throw std::runtime_error(std::string("stored agent: '") + key + "' is not text");
    return {x.GetString(), x.GetStringLength()};
  }
  bool flag(const char* key) const {
    auto& x = at(key);
    if (!x.IsBool()) throw std::runtime_error(std::string("stored agent: '") + key + "' is not a boolean");
    return x.GetBool();
  }
  std::optional<double> number(const char* key) const {
    auto& x = at(key);
    if (x.IsNull()) return std::nullopt;
    if (!x.IsNumber()) throw std::runtime_error(std::string("stored agent: '") + key + "' is not a number");
    return x.GetDouble();
  }
  const json_value& array(const char* key) const {
    auto& x = at(key);
    if (!x.IsArray()) throw std::runtime_error(std::string("stored agent: '") + key + "' is not an array");
    return x;
  }
  std::int64_t time(const char* key) const {
    auto t = parse_iso8601(text(key));
    if (!t) throw std::runtime_error(std::string("stored agent: bad time in '") + key + "'");
    return *t;
  }
};

}  // namespace

agent_config decode_agent(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) throw std::runtime_error("stored agent is not JSON");
  stored_reader top{doc};
  agent_config a;
  a.id = top.text("id");
  a.name = top.text("name");
  a.description = top.text("description");
  a.template_id = top.text("template_id");
  a.template_version = top.text("template_version");
  auto status = parse_agent_status(top.text("status"));
  if (!status) throw std::runtime_error("stored agent has an unknown status");
  a.status = *status;
  a.owner_id = top.text("owner_id");
  a.created_at_ms = top.time("created_at");
  a.updated_at_ms = top.time("updated_at");
  stored_reader cfg{top.at("configuration")};
  a.system_prompt = cfg.text("system_prompt");
  a.llm_config_id = cfg.text("llm_config_id");
  stored_reader conv{cfg.at("conversation_config")};
  a.conversation.continuous = conv.flag("continuous");
  a.conversation.history_length = static_cast<int>(conv.number("historyLength").value_or(50));
  a.conversation.temperature = conv.number("temperature");
  if (auto n = conv.number("max_tokens")) a.conversation.max_tokens = static_cast<std::int64_t>(*n);
  for (auto& t : cfg.array("toolsets").GetArray())
    if (t.IsString()) a.toolsets.emplace_back(t.GetString(), t.GetStringLength());
  a.template_config_json = to_json_text(cfg.at("template_config"));
  stored_reader meta{top.at("metadata")};
  a.type = meta.text("type");
  a.avatar_url = meta.text("avatar_url");
  a.agent_line_id = meta.text("agent_line_id");
  a.version_type = meta.text("version_type");
  auto& vn = meta.at("version_number");
  if (!vn.IsNull()) a.version_number_json = to_json_text(vn);
  return a;
}

std::string encode_agent_list(const std::vector<agent_config>& agents) {
  json_out out;
  out.w.StartArray();
  for (auto& a : agents) write_agent(out.w, a);
  out.w.EndArray();
  return out.str();
}

std::string encode_agent_created(const agent_config& a) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("success");
  w.Bool(true);
  w.Key("agent_id");
  w.String(a.id);
  w.Key("message");
  w.String(fmt::format("Agent '{}' created", a.name));
  w.Key("validation_results");
  w.StartObject();
  w.Key("valid");
  w.Bool(true);
  w.Key("warnings");
  w.StartArray();
  w.EndArray();
  w.EndObject();
  w.Key("agent");
  write_agent(w, a);
  w.EndObject();
  return out.str();
}

std::string encode_model(const agent_config& a) {
  json_out out;
  write_model(out.w, a);
  return out.str();
}

std::string encode_model_list(const std::vector<agent_config>& agents) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("object");
  w.String("list");
  w.Key("data");
  w.StartArray();
  for (auto& a : agents) write_model(w, a);
  w.EndArray();
  w.EndObject();
  return out.str();
}

bool matches(const agent_query& q, const agent_config& a) {
  if (!q.template_id.empty() && q.template_id != a.template_id) return false;
  if (q.active_only && a.status != agent_status::active) return false;
  return true;
}

namespace {
std::int64_t parse_integer(std::string_view text, std::string_view param) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc::result_out_of_range && end == text.data() + text.size())
    throw bad_request(fmt::format("'{}' is out of range", param), std::string(param));
  if (ec != std::errc{} || end != text.data() + text.size())
    throw bad_request(fmt::format("'{}' must be an integer", param), std::string(param));
  return n;
}
}  // namespace

std::int64_t parse_limit(std::string_view text, std::string_view param) {
  auto n = parse_integer(text, param);
  if (n <= 0) throw bad_request(fmt::format("'{}' must be greater than 0", param), std::string(param));
  return n;
}

std::int64_t parse_offset(std::string_view text, std::string_view param) {
  auto n = parse_integer(text, param);
  if (n < 0) throw bad_request(fmt::format("'{}' must not be negative", param), std::string(param));
  return n;
}

bool parse_flag(std::string_view text, std::string_view param) {
  if (text == "true" || text == "1" || text.empty()) return true;
  if (text == "false" || text == "0") return false;
  throw bad_request(fmt::format("'{}' must be true or false", param), std::string(param));
}

}  // namespace troupe::domain
