#include "actors/cluster/membership.hpp"

#include <spdlog/spdlog.h>

#include <set>

namespace troupe::actors {

namespace {

using tick_atom = caf::atom_constant<caf::atom("memtick")>;


struct membership_state {
  std::shared_ptr<storage::cluster_store> store;
  membership_options opts;
  std::shared_ptr<cluster_link> link;
  agent_repo_actor agents;
  key_repo_actor keys;
  scheduler_actor scheduler;
  std::int64_t seen_event = 0;
  std::uint64_t ticks = 0;
  std::set<std::string> live;      // as last logged
  std::set<std::string> refused;   // members of another version, logged once
  // Members we could not connect to (e.g. no certificate of our CA): they
  // own nothing here until a connection to them stands.
  std::set<std::string> unreachable;
  bool db_failing = false;
};

using self_ptr = caf::stateful_actor<membership_state>*;

storage::member_row me(const membership_options& o) {
  storage::member_row r;
  r.node_id = o.node_id;
  r.cluster_address = o.cluster_address;
  r.http_address = o.http_address;
  r.version = TROUPE_VERSION;
  return r;
}

// Reads the table into the view, and logs who came and went.
void read_members(self_ptr self) {
  auto& st = self->state;
  // Dead members stay listed (as down) for an hour at least.
  auto rows = st.store->members(st.opts.cluster_name, 2 * 3600 * 1000);
  std::vector<domain::cluster_member> members;
  for (auto& r : rows) {
    domain::cluster_member m;
    m.node_id = r.node_id;
    m.cluster_address = r.cluster_address;
    m.http_address = r.http_address;
    m.version = r.version;
    m.started_at_ms = r.started_at_ms;
    m.last_heartbeat_at_ms = r.last_heartbeat_at_ms;
    m.live_sessions = r.live_sessions;
    m.up = r.heartbeat_age_ms < st.opts.failure.count();
    if (m.up && r.version != TROUPE_VERSION) {
      // Its messages may not mean what ours do: it owns nothing here.
      if (st.refused.insert(r.node_id).second)
        spdlog::error("cluster: refusing node {}: it runs Troupe {}, this node {}", r.node_id,
                      r.version, TROUPE_VERSION);
      m.up = false;
    }
    if (m.up && st.unreachable.count(r.node_id)) {
      m.up = false;
      m.unreachable = true;
    }
    members.push_back(std::move(m));
  }
  auto snap = domain::make_snapshot(st.opts.node_id, st.opts.cluster_name, std::move(members));
  std::set<std::string> live(snap.live.begin(), snap.live.end());
  for (auto& id : live)
    if (!st.live.count(id)) spdlog::info("cluster: node {} is up", id);
  for (auto& id : st.live)
    if (!live.count(id)) spdlog::warn("cluster: node {} is down", id);
  st.live = std::move(live);
  st.link->view->set(std::move(snap));
}

// Agent and key writes and session deletions of every node (this one's
// too: harmless) reach the live actors and the key directory.
void follow_writes(self_ptr self) {
  auto& st = self->state;
  for (auto& e : st.store->events_after(st.seen_event)) {
    st.seen_event = e.seq;
    if (e.kind == "key") self->send(st.keys, key_changed{e.id});
    if (e.kind == "session") self->send(st.scheduler, session_removed{e.id});
    if (e.kind != "agent") continue;
    auto id = e.id;
    self->request(st.agents, std::chrono::seconds(10), get_agent{id})
        .then(
            [=](found_agent& f) {
              if (f.agent)
                self->send(self->state.scheduler,
                           agent_changed{std::make_shared<const domain::agent_config>(std::move(*f.agent))});
              else
                self->send(self->state.scheduler, agent_removed{id});
            },
            [=](caf::error&) {});
  }
}

void tick(self_ptr self, bool heartbeat) {
  auto& st = self->state;
  try {
    if (heartbeat) st.store->heartbeat(st.opts.cluster_name, st.opts.node_id, st.link->live_sessions->load());
    read_members(self);
    follow_writes(self);
    if (st.db_failing) spdlog::info("cluster: the membership table answers again");
    st.db_failing = false;
  } catch (const std::exception& e) {
    if (!st.db_failing) spdlog::error("cluster: membership: {}", e.what());
    st.db_failing = true;
  }
}

caf::behavior membership(self_ptr self, std::shared_ptr<storage::cluster_store> store,
                         membership_options opts, std::shared_ptr<cluster_link> link,
                         agent_repo_actor agents, key_repo_actor keys, scheduler_actor scheduler) {
  auto& st = self->state;
  st.keys = std::move(keys);
  st.store = std::move(store);
  st.opts = std::move(opts);
  st.link = std::move(link);
  st.agents = std::move(agents);
  st.scheduler = std::move(scheduler);
  st.seen_event = st.store->latest_event();
  tick(self, false);
  self->delayed_send(self, st.opts.tick, tick_atom::value);
  return {
      [=](tick_atom) {
        auto& st = self->state;
        tick(self, ++st.ticks % 2 == 0);
        self->delayed_send(self, st.opts.tick, tick_atom::value);
      },
      [=](const peer_refused& m) {
        if (!self->state.unreachable.insert(m.node_id).second) return;
        spdlog::warn("cluster: node {} owns nothing here until it takes a connection: {}",
                     m.node_id, m.why);
        tick(self, false);
      },
      [=](const peer_reachable& m) {
        if (self->state.unreachable.erase(m.node_id) == 0) return;
        spdlog::info("cluster: node {} takes connections again", m.node_id);
        tick(self, false);
      },
  };
}

}  // namespace

caf::actor spawn_membership(caf::actor_system& sys, std::unique_ptr<storage::cluster_store> store,
                            membership_options opts, std::shared_ptr<cluster_link> link,
                            agent_repo_actor agents, key_repo_actor keys,
                            scheduler_actor scheduler) {
  std::shared_ptr<storage::cluster_store> shared = std::move(store);
  // Joins before the first turn can arrive, so that a failure stops start-up.
  shared->join(opts.cluster_name, me(opts));
  return sys.spawn<caf::detached>(membership, shared, std::move(opts), std::move(link),
                                  std::move(agents), std::move(keys), std::move(scheduler));
}

}  // namespace troupe::actors
