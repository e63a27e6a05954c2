#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::domain {

enum class role { system, user, assistant, tool };

std::string_view to_string(role r);
std::optional<role> parse_role(std::string_view s);

struct chat_message {
  domain::role role = role::user;
  std::string content;
  std::int64_t created_at_ms = 0;

  // Equality for resend reconciliation: same speaker, same words; the time
  // the server stored it is not part of what the client resends.
  bool same_as(const chat_message& other) const {
    return role == other.role && content == other.content;
  }
};

using message_list = std::vector<chat_message>;

}  // namespace troupe::domain
