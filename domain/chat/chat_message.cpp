#include "domain/chat/chat_message.hpp"

namespace troupe::domain {

std::string_view to_string(role r) {
  switch (r) {
    case role::system: return "system";
    case role::user: return "user";
    case role::assistant: return "assistant";
    case role::tool: return "tool";
  }
  return "user";
}

std::optional<role> parse_role(std::string_view s) {
  if (s == "system" || s == "developer") return role::system;
  if (s == "user") return role::user;
  if (s == "assistant") return role::assistant;
  if (s == "tool") return role::tool;
  return std::nullopt;
}

}  // namespace troupe::domain
