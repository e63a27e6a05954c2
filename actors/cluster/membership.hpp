#pragma once
// Membership in PostgreSQL (a members table, as Orleans keeps it): this node
// registers itself, renews its heartbeat every second and reads who else is
// alive into the cluster view; a member silent for longer than the failure
// time is down for everyone. It also follows the feed of agent and key
// writes, so an agent or key changed through any node is in effect here on
// the next turn.
#include <chrono>
#include <memory>
#include <string>

#include "actors/cluster/node.hpp"
#include "actors/key_messages.hpp"
#include "actors/messages.hpp"
#include "storage/cluster_store.hpp"

namespace troupe::actors {

struct membership_options {
  std::string cluster_name;
  std::string node_id;
  std::string cluster_address;
  std::string http_address;
  std::chrono::milliseconds failure{5000};
  std::chrono::milliseconds tick{500};  // the agent feed; the heartbeat goes every second tick
};

// Joins at once (throws storage_error when the database refuses). A node
// that stops stays in the table and goes down after the failure time, like
// one that died: it is listed as down, and its sessions move then.
caf::actor spawn_membership(caf::actor_system& sys, std::unique_ptr<storage::cluster_store> store,
                            membership_options opts, std::shared_ptr<cluster_link> link,
                            agent_repo_actor agents, key_repo_actor keys,
                            scheduler_actor scheduler);

}  // namespace troupe::actors
