#include "domain/agents/agent_codec.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "domain/core/clock.hpp"
#include "domain/core/json.hpp"

namespace troupe::domain {

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

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

}  // namespace troupe::domain
