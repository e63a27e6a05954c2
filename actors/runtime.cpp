#include "actors/runtime.hpp"

#include "actors/agent_repository.hpp"
#include "actors/cluster/membership.hpp"
#include "actors/key_repository.hpp"
#include "actors/usage_repository.hpp"
#include "domain/core/clock.hpp"
#include "actors/scheduler.hpp"
#include "actors/session_reader.hpp"
#include "actors/session_repository.hpp"

#include <algorithm>

namespace troupe::actors {

std::chrono::milliseconds watchdog_tick(std::chrono::milliseconds turn_timeout) {
  // A 504 comes at most ~5% (and at most 100 ms) after the deadline.
  return std::clamp(turn_timeout / 20, std::chrono::milliseconds(5), std::chrono::milliseconds(100));
}

namespace {

// Listens for the other nodes, then joins the membership table.
void start_cluster_node(caf::actor_system& sys, runtime& rt,
                        std::unique_ptr<storage::cluster_store> store, const cluster_options& c) {
  membership_options m;
  m.cluster_name = c.cluster_name;
  m.node_id = c.node_id;
  m.cluster_address = c.host + ":" + std::to_string(c.port);
  m.http_address = c.http_address;
  m.failure = c.failure;
  // Listening before it joins the table: a member there takes connections.
  rt.cluster->replies = spawn_reply_desk(sys, rt.cluster->desk);
  rt.cluster->node = spawn_node(sys, *rt.cluster, c.tls);
  publish_node(sys, rt.cluster->node, c.host, c.port, c.tls);
  rt.membership = spawn_membership(sys, std::move(store), m, rt.cluster, rt.agents, rt.keys,
                                   rt.scheduler);
  caf::anon_send(rt.cluster->node, set_membership{rt.membership});
}

}  // namespace

runtime start_runtime(caf::actor_system& sys, storage::backends backends,
                      const domain::services_config& services, runtime_options opts) {
  runtime rt;
  // First, so that a damaged key record stops start-up before any actor runs.
  rt.key_directory = std::make_shared<domain::key_directory>();
  load_keys(*backends.keys, *backends.usage, *rt.key_directory, domain::now_ms());
  rt.providers = spawn_providers(sys, services, opts.metrics);
  rt.toolsets = spawn_toolsets(sys, services, rt.providers->io);
  rt.storage_health = std::make_shared<component_status>();
  rt.sessions = spawn_session_repository(sys, std::move(backends.sessions), rt.storage_health,
                                         opts.metrics);
  rt.keys = spawn_key_repository(sys, std::move(backends.keys), rt.key_directory, rt.storage_health);
  rt.usage_meter = std::make_shared<domain::usage_meter>();
  rt.usage = spawn_usage_repository(sys, std::move(backends.usage), rt.usage_meter, opts.usage_flush,
                                    rt.storage_health);
  rt.agents = spawn_agent_repository(sys, std::move(backends.agents), rt.sessions,
                                     opts.max_config_bytes, rt.storage_health);
  session_options sopts;
  sopts.deadlines = std::make_shared<turn_deadlines>(opts.turn_timeout);
  if (backends.session_reads) {
    rt.session_reader = spawn_session_reader(sys, std::move(backends.session_reads), rt.storage_health);
    sopts.loader = rt.session_reader;
    opts.scheduler.loader = rt.session_reader;
  }
  rt.watchdog = spawn_turn_watchdog(sys, sopts.deadlines, watchdog_tick(opts.turn_timeout));
  if (opts.cluster) {
    auto& c = *opts.cluster;
    rt.cluster = std::make_shared<cluster_link>();
    rt.cluster->view = std::make_shared<domain::cluster_view>(
        domain::make_snapshot(c.node_id, c.cluster_name, {}));
    rt.cluster->forward_timeout = opts.turn_timeout + c.failure + std::chrono::seconds(5);
    sopts.node_id = c.node_id;
    opts.scheduler.cluster = rt.cluster;
  }
  rt.scheduler = spawn_scheduler(sys, rt.agents, rt.sessions,
                                 default_factory(rt.providers, rt.sessions, sopts, rt.toolsets), opts.scheduler);
  caf::anon_send(rt.agents, subscribe{rt.scheduler});
  caf::anon_send(rt.sessions, subscribe{rt.scheduler});
  if (opts.cluster) start_cluster_node(sys, rt, std::move(backends.cluster), *opts.cluster);
  return rt;
}

void stop_runtime(caf::actor_system& sys, const runtime& rt) {
  // Live sessions and agents are spawned by the scheduler, not linked to it:
  // the system's shutdown in main waits for them; here the roots go.
  caf::anon_send_exit(rt.scheduler, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(rt.watchdog, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(rt.agents, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(rt.sessions, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(rt.keys, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(rt.usage, caf::exit_reason::user_shutdown);  // writes what is pending first
  if (rt.session_reader) caf::anon_send_exit(rt.session_reader, caf::exit_reason::user_shutdown);
  if (rt.cluster) {
    caf::anon_send_exit(rt.cluster->node, caf::exit_reason::user_shutdown);
    stop_reply_desk(sys, rt.cluster->replies);
    caf::anon_send_exit(rt.membership, caf::exit_reason::user_shutdown);
  }
  stop_toolsets(*rt.toolsets);
  for (auto& [name, p] : rt.providers->entries)
    if (p.actor) caf::anon_send_exit(p.actor, caf::exit_reason::user_shutdown);
}

}  // namespace troupe::actors
