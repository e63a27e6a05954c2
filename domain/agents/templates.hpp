#pragma once
// The agent templates this server knows. Each template turns a turn into a
// provider call in its own way; `chat` is the general LLM agent.
#include <string>
#include <string_view>
#include <vector>

#include "domain/agents/config_field.hpp"

namespace troupe::domain {

struct agent_template {
  std::string id;
  std::string framework;
  std::string name;
  std::string description;
  std::string version;
  std::vector<config_field> config;
};

const std::vector<agent_template>& all_templates();

// Resolves aliases ("simple-test" is the chat template for earlier clients).
const agent_template* find_template(std::string_view id);

// What the chat template reads from an agent's template_config.
struct chat_settings {
  std::string response_prefix;
  int max_tool_iterations = 8;              // the agent's own tool loop: rounds of calls
  std::size_t max_tool_result_bytes = 64 << 10;  // a tool result is cut past this
};
chat_settings read_chat_settings(std::string_view template_config_json);

void write_template(rapidjson::Writer<rapidjson::StringBuffer>& w, const agent_template& t);
std::string encode_template(const agent_template& t);
std::string encode_template_list();

}  // namespace troupe::domain
