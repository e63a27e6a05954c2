#include "domain/agents/agent_config.hpp"

namespace troupe::domain {

std::string_view to_string(agent_status s) {
  switch (s) {
    case agent_status::created: return "created";
    case agent_status::active: return "active";
    case agent_status::inactive: return "inactive";
    case agent_status::error: return "error";
  }
  return "active";
}

std::optional<agent_status> parse_agent_status(std::string_view s) {
  if (s == "created") return agent_status::created;
  if (s == "active") return agent_status::active;
  if (s == "inactive") return agent_status::inactive;
  if (s == "error") return agent_status::error;
  return std::nullopt;
}

}  // namespace troupe::domain
