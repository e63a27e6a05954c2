#include "storage/session_store.hpp"

#include <limits>


namespace troupe::storage {

std::optional<session_dump> session_store::dump(const std::string& id) const {
  auto info = get(id);
  if (!info) return std::nullopt;
  return session_dump{*info, history(id, std::numeric_limits<std::size_t>::max())};
}

}  // namespace troupe::storage
