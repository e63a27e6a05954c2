#include "domain/agents/templates.hpp"

namespace troupe::domain {

namespace {

std::vector<agent_template> make_templates() {
  config_field prefix;
  prefix.key = "response_prefix";
  prefix.type = "string";
  prefix.description = "Text prepended to every reply of the agent";
  prefix.default_json = "\"\"";
  prefix.optional = true;
  prefix.validation = field_validation{};
  prefix.validation->min_length = 0;
  prefix.validation->max_length = 50;

  config_field iterations;
  iterations.key = "max_tool_iterations";
  iterations.type = "integer";
  iterations.description =
      "Rounds of tool calls the agent runs on its own toolsets before it must answer";
  iterations.default_json = "8";
  iterations.optional = true;
  iterations.validation = field_validation{};
  iterations.validation->min = 1;
  iterations.validation->max = 50;

  config_field result_bytes;
  result_bytes.key = "max_tool_result_bytes";
  result_bytes.type = "integer";
  result_bytes.description = "A tool result longer than this is cut (with a note) before the model sees it";
  result_bytes.default_json = "65536";
  result_bytes.optional = true;
  result_bytes.validation = field_validation{};
  result_bytes.validation->min = 256;
  result_bytes.validation->max = 16777216;

  agent_template chat;
  chat.id = "chat";
  chat.framework = "troupe";
  chat.name = "Chat agent";
  chat.description =
      "General LLM agent: system prompt, server-side conversation history, provider per agent";
  chat.version = "1.0.0";
  chat.config = {prefix, iterations, result_bytes};
  return {chat};
}

}  // namespace

const std::vector<agent_template>& all_templates() {
  static const std::vector<agent_template> templates = make_templates();
  return templates;
}

const agent_template* find_template(std::string_view id) {
  if (id == "simple-test") id = "chat";
  for (auto& t : all_templates())
    if (t.id == id) return &t;
  return nullptr;
}

chat_settings read_chat_settings(std::string_view template_config_json) {
  chat_settings out;
  rapidjson::Document doc;
  doc.Parse(template_config_json.data(), template_config_json.size());
  if (doc.IsObject()) {
    auto it = doc.FindMember("response_prefix");
    if (it != doc.MemberEnd() && it->value.IsString())
      out.response_prefix.assign(it->value.GetString(), it->value.GetStringLength());
    auto n = doc.FindMember("max_tool_iterations");
    if (n != doc.MemberEnd() && n->value.IsInt()) out.max_tool_iterations = n->value.GetInt();
    auto b = doc.FindMember("max_tool_result_bytes");
    if (b != doc.MemberEnd() && b->value.IsUint64())
      out.max_tool_result_bytes = static_cast<std::size_t>(b->value.GetUint64());
  }
  return out;
}

void write_template(rapidjson::Writer<rapidjson::StringBuffer>& w, const agent_template& t) {
  w.StartObject();
  w.Key("id");
  w.String(t.id);
  w.Key("framework");
  w.String(t.framework);
  w.Key("name");
  w.String(t.name);
  w.Key("description");
  w.String(t.description);
  w.Key("version");
  w.String(t.version);
  w.Key("config");
  w.StartArray();
  for (auto& f : t.config) write_config_field(w, f);
  w.EndArray();
  w.EndObject();
}

std::string encode_template(const agent_template& t) {
  json_out out;
  write_template(out.w, t);
  return out.str();
}

std::string encode_template_list() {
  json_out out;
  out.w.StartObject();
  out.w.Key("templates");
  out.w.StartArray();
  for (auto& t : all_templates()) write_template(out.w, t);
  out.w.EndArray();
  out.w.EndObject();
  return out.str();
}

}  // namespace troupe::domain
