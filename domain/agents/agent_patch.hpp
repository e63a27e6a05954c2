#pragma once
// /v1/agents bodies: parsing (create, partial update, status) and the rules
// an agent must satisfy.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/agents/agent_config.hpp"
#include "domain/core/api_error.hpp"

namespace troupe::domain {

// Every field a create or update body may carry; absent stays nullopt.
struct agent_patch {
  std::optional<std::string> id, name, description, template_id, template_version, system_prompt,
      avatar_url, type, llm_config_id, agent_line_id, version_type, version_number_json,
      owner_id, template_config_json;
  std::optional<agent_status> status;
  std::optional<bool> continuous;
  std::optional<int> history_length;
  std::optional<double> temperature;
  std::optional<std::int64_t> max_tokens;
  std::optional<std::vector<std::string>> toolsets;
};

// Shape (422) and per-value (400) checks. `provider_known` answers whether an
// llm_config_id names a provider of the services file, `toolset_known`
// whether a toolset name is one of its toolsets (null: not checked).
agent_patch parse_agent_patch(std::string_view body,
                              const std::function<bool(const std::string&)>& provider_known,
                              const std::function<bool(const std::string&)>& toolset_known = {});

// Applies a patch to `base` (a default agent for create) and checks the rules
// that need the whole agent: required fields, template_config against the
// template, the size limit. Throws api_error 400.
agent_config apply_agent_patch(const agent_patch& patch, agent_config base, bool creating,
                               std::size_t max_config_bytes);

// PATCH /v1/agents/{id}/status body.
agent_status parse_status_body(std::string_view body);

}  // namespace troupe::domain
