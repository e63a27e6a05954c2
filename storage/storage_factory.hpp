#pragma once
// Builds the backends named by --storage.
#include <memory>
#include <string>

#include "storage/agent_store.hpp"
#include "storage/cluster_store.hpp"
#include "storage/key_store.hpp"
#include "storage/session_store.hpp"
#include "storage/usage_store.hpp"

namespace troupe::storage {

struct backends {
  std::unique_ptr<agent_store> agents;
  std::unique_ptr<session_store> sessions;
  // Another connection to the same sessions, for reads only (nullptr when the
  // backend cannot be read from two threads: memory).
  std::unique_ptr<session_store> session_reads;
  std::unique_ptr<key_store> keys;
  std::unique_ptr<usage_store> usage;
  // A cluster node's membership and event feed (open_cluster_store), else null.
  std::unique_ptr<cluster_store> cluster;
};

// Throws storage_error for an unknown or unusable spec.
backends open_storage(const std::string& spec);

// The sessions of a database that exists already, for tools such as
// --export-session: nothing is created or migrated (a server may be running
// on it). Throws storage_error for memory storage, a missing/foreign file or a
// PostgreSQL database without this build's schema.
std::unique_ptr<session_store> open_existing_sessions(const std::string& spec);

}  // namespace troupe::storage
