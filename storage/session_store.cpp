#include "storage/session_store.hpp"

#include <limits>

#include "storage/agent_store.hpp"

namespace troupe::storage {

std::optional<session_dump> session_store::dump(const std::string& id) const {
  auto info = get(id);
  if (!info) return std::nullopt;
  return session_dump{*info, history(id, std::numeric_limits<std::size_t>::max())};
}

std::vector<std::string> session_store::append_turns(const std::vector<turn_write>& turns) {
  std::vector<std::string> out;
  out.reserve(turns.size());
  for (auto& t : turns) {
    try {
      append_turn(t.info, t.messages);
      out.emplace_back();
    } catch (const storage_error& e) {
      out.emplace_back(e.what());
    }
  }
  return out;
}

}  // namespace troupe::storage
