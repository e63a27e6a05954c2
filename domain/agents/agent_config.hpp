#pragma once
// An agent as stored: what POST/PUT /v1/agents write and every turn reads.
// Passed between actors as shared_ptr<const agent_config> snapshots.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::domain {

enum class agent_status { created, active, inactive, error };

std::string_view to_string(agent_status s);
std::optional<agent_status> parse_agent_status(std::string_view s);

struct conversation_config {
  bool continuous = true;
  int history_length = 50;  // 1..1000
  std::optional<double> temperature;
  std::optional<std::int64_t> max_tokens;
};

struct agent_config {
  std::string id;
  std::string name;
  std::string description;
  std::string template_id;
  std::string template_version = "1.0.0";
  std::string system_prompt;
  std::string avatar_url;
  std::string type;
  std::string llm_config_id;  // empty: the services file's default provider
  std::string agent_line_id;
  std::string version_type;
  std::string version_number_json;  // raw JSON (string or number); empty: null
  std::string owner_id;
  agent_status status = agent_status::active;
  conversation_config conversation;
  std::vector<std::string> toolsets;
  std::string template_config_json = "{}";  // validated against the template
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

}  // namespace troupe::domain
