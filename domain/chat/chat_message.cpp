#include "domain/chat/chat_message.hpp"

#include "domain/core/json.hpp"

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
  if (s == "tool" || s == "function") return role::tool;
  return std::nullopt;
}

namespace {
const message_extra none{};
}  // namespace

const std::vector<tool_call>& chat_message::tool_calls() const {
  return extra ? extra->tool_calls : none.tool_calls;
}

std::string_view chat_message::tool_call_id() const {
  if (!extra) return {};
  return extra->tool_call_id;
}

std::string_view chat_message::name() const {
  if (!extra) return {};
  return extra->name;
}

std::string legacy_call_id(std::string_view function_name) {
  return "call_legacy_" + std::string(function_name);
}

std::string canonical_arguments(std::string_view arguments) {
  rapidjson::Document doc;
  try {
    parse_json(arguments, doc);
  } catch (const api_error&) {
    return std::string(arguments);
  }
  return to_json_text(doc);
}

bool chat_message::same_as(const chat_message& o) const {
  if (role != o.role) return false;
  bool empty_a = kind == content_kind::null || (kind == content_kind::text && content.empty());
  bool empty_b = o.kind == content_kind::null || (o.kind == content_kind::text && o.content.empty());
  if (empty_a != empty_b) return false;
  if (!empty_a) {
    if (kind != o.kind) return false;
    if (kind == content_kind::parts ? extra->parts_json != o.extra->parts_json
                                    : content != o.content)
      return false;
  }
  if (!extra && !o.extra) return true;
  const auto& a = extra ? *extra : none;
  const auto& b = o.extra ? *o.extra : none;
  if (a.name != b.name || a.tool_call_id != b.tool_call_id || a.refusal != b.refusal ||
      a.tool_calls.size() != b.tool_calls.size())
    return false;
  for (std::size_t i = 0; i < a.tool_calls.size(); ++i) {
    auto& x = a.tool_calls[i];
    auto& y = b.tool_calls[i];
    if (x.id != y.id || x.name != y.name) return false;
    if (x.arguments != y.arguments &&
        canonical_arguments(x.arguments) != canonical_arguments(y.arguments))
      return false;
  }
  return true;
}

}  // namespace troupe::domain
