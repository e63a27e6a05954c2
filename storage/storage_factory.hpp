#pragma once
// Builds the backends named by --storage.
#include <memory>
#include <string>

#include "storage/agent_store.hpp"
#include "storage/session_store.hpp"

namespace troupe::storage {

struct backends {
  std::unique_ptr<agent_store> agents;
  std::unique_ptr<session_store> sessions;
};

// Throws storage_error for an unknown or unusable spec.
backends open_storage(const std::string& spec);

}  // namespace troupe::storage
