#include "storage/postgres/pg_cluster_store.hpp"

namespace troupe::storage {

#define NOW_MS TROUPE_PG_NOW_MS

namespace {

// Taken by every writer of cluster_events until its commit (see publish).
constexpr const char* events_lock = "SELECT pg_advisory_xact_lock(7285917363);";

}  // namespace

namespace pg_detail {

void publish(pg_db& db, const char* kind, const std::string& id) {
  // Serialized until COMMIT, events become visible in seq order: a reader
  // that has seen seq N never finds a smaller one committed later (and
  // missed). Agent and key writes are rare, so the wait costs nothing.
  db.query(events_lock);
  db.query("INSERT INTO cluster_events (kind, id) VALUES ($1, $2);", {kind, id});
}

}  // namespace pg_detail

pg_cluster_store::pg_cluster_store(const std::string& uri) : db_(uri) {}

void pg_cluster_store::join(const std::string& cluster, const member_row& me) {
  // One clock reading for both times: a fresh row's age is exactly 0.
  auto r = db_.query(
      "INSERT INTO cluster_members (cluster_name, node_id, cluster_address, http_address, "
      "version, started_at, heartbeat_at, live_sessions) SELECT $1::text, $2::text, $3::text, "
      "$4::text, $5::text, n.t, n.t, $6::bigint FROM (SELECT " NOW_MS
      " AS t) AS n ON CONFLICT (cluster_name, node_id) DO UPDATE SET cluster_address = "
      "EXCLUDED.cluster_address, http_address = EXCLUDED.http_address, version = "
      "EXCLUDED.version, started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at, "
      "live_sessions = EXCLUDED.live_sessions RETURNING started_at;",
      {cluster, me.node_id, me.cluster_address, me.http_address, me.version,
       static_cast<std::int64_t>(me.live_sessions)});
  auto& row = joined_[{cluster, me.node_id}];
  row = me;
  row.started_at_ms = row.last_heartbeat_at_ms = r.integer(0, 0);
}

void pg_cluster_store::heartbeat(const std::string& cluster, const std::string& node_id,
                                 std::uint64_t live_sessions) {
  auto n = static_cast<std::int64_t>(live_sessions);
  auto r = db_.query("UPDATE cluster_members SET heartbeat_at = " NOW_MS
                     ", live_sessions = $3 WHERE cluster_name = $1 AND node_id = $2;",
                     {cluster, node_id, n});
  if (r.changed() > 0) return;
  auto it = joined_.find({cluster, node_id});
  if (it == joined_.end())
    throw storage_error("cluster: node " + node_id + " has not joined cluster " + cluster);
  auto& me = it->second;
  db_.query(
      "INSERT INTO cluster_members (cluster_name, node_id, cluster_address, http_address, "
      "version, started_at, heartbeat_at, live_sessions) VALUES ($1, $2, $3, $4, $5, $6, " NOW_MS
      ", $7) ON CONFLICT (cluster_name, node_id) DO UPDATE SET heartbeat_at = "
      "EXCLUDED.heartbeat_at, live_sessions = EXCLUDED.live_sessions;",
      {cluster, node_id, me.cluster_address, me.http_address, me.version, me.started_at_ms, n});
}

void pg_cluster_store::leave(const std::string& cluster, const std::string& node_id) {
  db_.query("DELETE FROM cluster_members WHERE cluster_name = $1 AND node_id = $2;",
            {cluster, node_id});
  joined_.erase({cluster, node_id});
}

std::vector<member_row> pg_cluster_store::members(const std::string& cluster,
                                                  std::int64_t keep_ms) {
  // One statement, one clock reading: what it deletes it does not return.
  auto r = db_.query(
      "WITH n AS (SELECT " NOW_MS
      " AS t), gone AS (DELETE FROM cluster_members USING n WHERE cluster_name = $1 AND "
      "heartbeat_at < n.t - $2::bigint) SELECT node_id, cluster_address, http_address, version, "
      "started_at, heartbeat_at, GREATEST(n.t - heartbeat_at, 0), live_sessions FROM "
      "cluster_members, n WHERE cluster_name = $1 AND heartbeat_at >= n.t - $2::bigint "
      "ORDER BY node_id;",
      {cluster, keep_ms});
  std::vector<member_row> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.integer(i, 4),
                   r.integer(i, 5), r.integer(i, 6), static_cast<std::uint64_t>(r.integer(i, 7))});
  return out;
}

std::vector<cluster_event> pg_cluster_store::events_after(std::int64_t after) {
  auto r =
      db_.query("SELECT seq, kind, id FROM cluster_events WHERE seq > $1 ORDER BY seq LIMIT $2;",
                {after, max_events});
  std::vector<cluster_event> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back({r.integer(i, 0), r.text(i, 1), r.text(i, 2)});
  return out;
}

std::int64_t pg_cluster_store::latest_event() {
  return db_.query("SELECT COALESCE(MAX(seq), 0) FROM cluster_events;").integer(0, 0);
}

}  // namespace troupe::storage
