#pragma once
// What the nodes of a cluster share through PostgreSQL besides the data:
// who is a member (a heartbeat per node, on the database's clock, so that
// the nodes' clocks need not agree) and a feed of agent and key writes, so
// that every node sees another node's change on its next turn.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "storage/storage_error.hpp"

namespace troupe::storage {

struct member_row {
  std::string node_id;
  std::string cluster_address;  // HOST:PORT of its node actor
  std::string http_address;     // HOST:PORT of its HTTP API
  std::string version;          // Troupe's version (nodes of another one are refused)
  std::int64_t started_at_ms = 0;        // database clock
  std::int64_t last_heartbeat_at_ms = 0; // database clock
  std::int64_t heartbeat_age_ms = 0;     // database now() minus the last heartbeat
  std::uint64_t live_sessions = 0;
};

// One agent or key write, or a session deletion, on any node. `kind` is
// "agent", "key" or "session".
struct cluster_event {
  std::int64_t seq = 0;
  std::string kind;
  std::string id;
};

// Only the membership actor calls this (on a connection of its own).
// Every call throws storage_error when the database is away.
class cluster_store {
 public:
  virtual ~cluster_store() = default;
  // This node (re)joins: its row gets started_at = heartbeat = now().
  virtual void join(const std::string& cluster, const member_row& me) = 0;
  virtual void heartbeat(const std::string& cluster, const std::string& node_id,
                         std::uint64_t live_sessions) = 0;
  // This node leaves on purpose (shutdown): its row goes.
  virtual void leave(const std::string& cluster, const std::string& node_id) = 0;
  // The members of this cluster heard from within the last `keep_ms`
  // (older rows are deleted), dead ones included: the caller decides by age.
  virtual std::vector<member_row> members(const std::string& cluster, std::int64_t keep_ms) = 0;
  // The agent and key writes after `after`, oldest first.
  virtual std::vector<cluster_event> events_after(std::int64_t after) = 0;
  // The newest event's seq (0 when there is none): where a joining node starts.
  virtual std::int64_t latest_event() = 0;
};

// Throws storage_error unless `spec` is postgres:URI.
std::unique_ptr<cluster_store> open_cluster_store(const std::string& spec);

}  // namespace troupe::storage
