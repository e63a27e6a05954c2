#pragma once
// One node's view of its cluster: the members it knows of (up or down, from
// the membership table), who owns a session, and the JSON of GET /v1/cluster.
// The membership actor replaces the snapshot every second; HTTP threads and
// the scheduler read it without asking an actor.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::domain {

struct cluster_member {
  std::string node_id;
  std::string cluster_address;  // HOST:PORT of its node actor
  std::string http_address;
  std::string version;
  std::int64_t started_at_ms = 0;
  std::int64_t last_heartbeat_at_ms = 0;
  std::uint64_t live_sessions = 0;
  bool up = false;
  // Alive in the table, but this node cannot connect to it (say, its
  // certificate is not of our CA): down here, tried again now and then.
  bool unreachable = false;
};

struct cluster_snapshot {
  std::string self;
  std::string cluster_name;
  std::vector<cluster_member> members;  // sorted by node id, down ones included
  std::vector<std::string> live;        // the ids of the members that are up (self always)

  // Who owns session `id`: rendezvous hashing over the live members.
  std::string owner_of(std::string_view session_id) const;
  bool owns(std::string_view session_id) const { return owner_of(session_id) == self; }
  const cluster_member* find(std::string_view node_id) const;
};

// Builds the snapshot: members heard from within `failure_ms` are up (this
// node always: it is the one answering).
cluster_snapshot make_snapshot(std::string self, std::string cluster_name,
                               std::vector<cluster_member> members);

// A new id (see new_id) that this node owns: about N draws for N live members.
std::string new_owned_id(const cluster_snapshot& s, std::string_view prefix);

// GET /v1/cluster.
std::string encode_cluster(const cluster_snapshot& s);

// The current snapshot, swapped whole: readers keep the one they loaded.
class cluster_view {
 public:
  explicit cluster_view(cluster_snapshot first)
      : now_(std::make_shared<const cluster_snapshot>(std::move(first))) {}
  std::shared_ptr<const cluster_snapshot> get() const { return std::atomic_load(&now_); }
  void set(cluster_snapshot s) {
    std::atomic_store(&now_, std::shared_ptr<const cluster_snapshot>(
                                 std::make_shared<const cluster_snapshot>(std::move(s))));
  }

 private:
  std::shared_ptr<const cluster_snapshot> now_;
};

}  // namespace troupe::domain
