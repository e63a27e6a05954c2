#include "domain/cluster/cluster_snapshot.hpp"

#include <algorithm>

#include "domain/cluster/rendezvous.hpp"
#include "domain/core/clock.hpp"
#include "domain/core/ids.hpp"
#include "domain/core/json.hpp"

namespace troupe::domain {

std::string cluster_snapshot::owner_of(std::string_view session_id) const {
  auto owner = rendezvous_owner(session_id, live);
  return owner ? *owner : self;
}

const cluster_member* cluster_snapshot::find(std::string_view node_id) const {
  for (auto& m : members)
    if (m.node_id == node_id) return &m;
  return nullptr;
}

cluster_snapshot make_snapshot(std::string self, std::string cluster_name,
                               std::vector<cluster_member> members) {
  cluster_snapshot s;
  s.self = std::move(self);
  s.cluster_name = std::move(cluster_name);
  std::sort(members.begin(), members.end(),
            [](auto& a, auto& b) { return a.node_id < b.node_id; });
  bool self_listed = false;
  for (auto& m : members) {
    if (m.node_id == s.self) m.up = self_listed = true;
    if (m.up) s.live.push_back(m.node_id);
  }
  if (!self_listed) s.live.push_back(s.self);
  s.members = std::move(members);
  return s;
}

std::string new_owned_id(const cluster_snapshot& s, std::string_view prefix) {
  auto id = new_id(prefix);
  while (!s.owns(id)) id = new_id(prefix);
  return id;
}

std::string encode_cluster(const cluster_snapshot& s) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("node_id");
  w.String(s.self);
  w.Key("cluster_name");
  w.String(s.cluster_name);
  w.Key("members");
  w.StartArray();
  for (auto& m : s.members) {
    w.StartObject();
    w.Key("node_id");
    w.String(m.node_id);
    w.Key("cluster_address");
    w.String(m.cluster_address);
    w.Key("http_address");
    w.String(m.http_address);
    w.Key("status");
    w.String(m.up ? "up" : "down");
    w.Key("live_sessions");
    w.Uint64(m.live_sessions);
    w.Key("last_heartbeat_at");
    w.String(iso8601(m.last_heartbeat_at_ms));
    w.Key("started_at");
    w.String(iso8601(m.started_at_ms));
    w.Key("version");
    w.String(m.version);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out.str();
}

}  // namespace troupe::domain
