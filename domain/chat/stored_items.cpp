#include "domain/chat/stored_items.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "domain/chat/conversation_hash.hpp"

namespace troupe::domain {

std::string derived_item_id(std::string_view session_id, std::int64_t idx, role r) {
  chat_message key{role::user, std::string(session_id)};
  auto h = message_hash(key);
  return fmt::format("{}_{:016x}{:x}", r == role::tool ? "fco" : "msg", h, idx);
}

std::string function_call_item_id(std::string_view message_item_id, std::string_view call_id) {
  chat_message key{role::assistant, std::string(message_item_id)};
  key.content.push_back('\0');
  key.content.append(call_id);
  return fmt::format("fc_{:016x}", message_hash(key));
}

std::optional<std::optional<chat_message>> without_call(const chat_message& m,
                                                        std::string_view message_item_id,
                                                        std::string_view item_id) {
  auto& calls = m.tool_calls();
  auto at = std::find_if(calls.begin(), calls.end(), [&](const tool_call& c) {
    return function_call_item_id(message_item_id, c.id) == item_id;
  });
  if (at == calls.end()) return std::nullopt;
  auto x = *m.extra;
  x.tool_calls.erase(x.tool_calls.begin() + (at - calls.begin()));
  if (x.tool_calls.empty() && m.kind == content_kind::null) return std::optional<chat_message>{};
  auto out = m;
  out.extra = x.empty() ? nullptr : std::make_shared<const message_extra>(std::move(x));
  return std::optional<chat_message>{std::move(out)};
}

}  // namespace troupe::domain
