#pragma once
#include <map>
#include <utility>

#include "storage/cluster_store.hpp"
#include "storage/postgres/pg_db.hpp"

namespace troupe::storage {

// Membership and the event feed in PostgreSQL (tables of schema step 2).
// Times come from the database's clock, never this node's.
class pg_cluster_store final : public cluster_store {
 public:
  // The schema must be migrated already (open_cluster_store does it).
  explicit pg_cluster_store(const std::string& uri);

  void join(const std::string& cluster, const member_row& me) override;
  // Puts the row back (same started_at) when a peer pruned it while this
  // node was silent for longer than its keep_ms.
  void heartbeat(const std::string& cluster, const std::string& node_id,
                 std::uint64_t live_sessions) override;
  void leave(const std::string& cluster, const std::string& node_id) override;
  // Ordered by node_id.
  std::vector<member_row> members(const std::string& cluster, std::int64_t keep_ms) override;
  // At most max_events rows: call again from the last seq until fewer come.
  std::vector<cluster_event> events_after(std::int64_t after) override;
  std::int64_t latest_event() override;

  static constexpr int max_events = 1000;

 private:
  pg_db db_;
  std::map<std::pair<std::string, std::string>, member_row> joined_;  // (cluster, node)
};

namespace pg_detail {
// Now on the database's clock, in ms since the epoch.
#define TROUPE_PG_NOW_MS "(extract(epoch from clock_timestamp()) * 1000)::bigint"
// Records an agent or key write in cluster_events. Call it inside the
// write's transaction, as its last statement before COMMIT.
void publish(pg_db& db, const char* kind, const std::string& id);
}  // namespace pg_detail

}  // namespace troupe::storage
