#include "domain/chat/completion.hpp"

namespace troupe::domain {

chat_message stored_reply(const chat_message& m, bool legacy_functions) {
  if (!m.extra || (m.extra->other.empty() && !legacy_functions)) return m;
  auto out = m;
  auto x = *m.extra;
  x.other.clear();
  if (legacy_functions && !x.tool_calls.empty()) {
    x.tool_calls.resize(1);
    x.tool_calls[0].id = legacy_call_id(x.tool_calls[0].name);
  }
  out.extra = x.empty() ? nullptr : std::make_shared<const message_extra>(std::move(x));
  return out;
}

}  // namespace troupe::domain
