#include "domain/agents/agent_patch.hpp"

#include <fmt/format.h>

#include "domain/agents/agent_codec.hpp"
#include "domain/agents/templates.hpp"
#include "domain/core/clock.hpp"
#include "domain/core/ids.hpp"
#include "domain/core/json.hpp"
#include "domain/core/utf8.hpp"

namespace troupe::domain {

namespace {

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
                              const std::function<bool(const std::string&)>& provider_known,
                              const std::function<bool(const std::string&)>& toolset_known) {
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
      for (std::size_t i = 0; toolset_known && i < p.toolsets->size(); ++i)
        if (!toolset_known((*p.toolsets)[i]))
          throw bad_request(fmt::format("toolset '{}' is not in the services file",
                                        (*p.toolsets)[i]),
                            fmt::format("toolsets[{}]", i), "unknown_toolset");
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

}  // namespace troupe::domain
