#include "storage/storage_factory.hpp"

#include "storage/memory_agent_store.hpp"
#include "storage/memory_session_store.hpp"

namespace troupe::storage {

backends open_storage(const std::string& spec) {
  if (spec == "memory")
    return {std::make_unique<memory_agent_store>(), std::make_unique<memory_session_store>()};
  throw storage_error("unknown storage '" + spec + "' (supported: memory)");
}

}  // namespace troupe::storage
