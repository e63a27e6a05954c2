#include "domain/chat/completion.hpp"

namespace troupe::domain {

chat_message stored_reply(const chat_message& m) {
  if (!m.extra || m.extra->other.empty()) return m;
  auto out = m;
  auto x = *m.extra;
  x.other.clear();
  out.extra = x.empty() ? nullptr : std::make_shared<const message_extra>(std::move(x));
  return out;
}

}  // namespace troupe::domain
