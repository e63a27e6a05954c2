#include "storage/session_store.hpp"

#include "storage/agent_store.hpp"

namespace troupe::storage {

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
