#pragma once
// The JSON the API returns for agents and models, and the stored form of an
// agent (storage reads back what encode_agent wrote).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/agents/agent_config.hpp"

namespace troupe::domain {

std::string encode_agent(const agent_config& a);
// Throws std::runtime_error.
agent_config decode_agent(std::string_view json);
std::string encode_agent_list(const std::vector<agent_config>& agents);
std::string encode_agent_created(const agent_config& a);

std::string encode_model(const agent_config& a);
std::string encode_model_list(const std::vector<agent_config>& agents);

// GET /v1/agents query.
struct agent_query {
  std::string template_id;
  bool active_only = false;
  std::int64_t limit = 100;
  std::int64_t offset = 0;
};
bool matches(const agent_query& q, const agent_config& a);

}  // namespace troupe::domain
