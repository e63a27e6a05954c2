#pragma once
// This node's actor for the other nodes, published with CAF's middleman on
// --cluster-listen. It runs the turns other nodes forward to it (through the
// runner the HTTP layer installs) and forwards turns of sessions another
// node owns, connecting to that node on first use from its address in the
// membership table.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "actors/cluster/cluster_messages.hpp"
#include "actors/cluster/forward_desk.hpp"
#include "actors/messages.hpp"
#include "actors/reply_sink.hpp"
#include "domain/cluster/cluster_snapshot.hpp"

namespace troupe::actors {

// What the scheduler and the HTTP layer need of the cluster.
struct cluster_link {
  std::shared_ptr<domain::cluster_view> view;
  caf::actor node;
  // This node's live sessions (the scheduler counts, the heartbeat tells).
  std::shared_ptr<std::atomic<std::uint64_t>> live_sessions =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  // How long the first node waits for a forwarded turn's reply.
  std::chrono::milliseconds forward_timeout{125000};
  // The turns this node forwarded, and the members it has a link to.
  std::shared_ptr<forward_desk> desk = std::make_shared<forward_desk>();
  std::shared_ptr<peer_directory> peers = std::make_shared<peer_directory>();
  // Where owners send the reply pieces: a companion actor that hands each to
  // the desk in the thread that delivers it (the middleman's), not through a
  // mailbox and a scheduler thread of its own.
  caf::actor replies;
};

// The `replies` companion of a link (start_cluster_node makes it); stopped
// with stop_reply_desk.
caf::actor spawn_reply_desk(caf::actor_system& sys, std::shared_ptr<forward_desk> desk);
void stop_reply_desk(caf::actor_system& sys, const caf::actor& replies);

// Runs a forwarded turn on this node (on the node actor's thread: it must
// only parse and hand the turn on). Installed by the HTTP layer.
using forwarded_runner = std::function<void(forwarded_turn&)>;
struct install_runner {
  forwarded_runner run;
};
// Scheduler → node: send this turn to its owner.
struct send_turn {
  std::string owner;
  forwarded_turn turn;
  sink_ptr sink;  // the client's: the reply goes there
  std::chrono::steady_clock::time_point deadline;  // then 504
};
// Start-up → node: whom to tell that a link broke or a member refused us.
struct set_membership {
  caf::actor membership;
};
// Node → membership: a member could not be connected to (a TLS handshake it
// failed, nothing listening): it owns nothing here for a while.
struct peer_refused {
  std::string node_id;
  std::string why;
};
// Node → membership: a link to this member stands (again).
struct peer_reachable {
  std::string node_id;
};

// Links to every live member as soon as it shows up in the view (so the
// first forwarded turn does not wait for a connection).
caf::actor spawn_node(caf::actor_system& sys, const cluster_link& link, bool tls);

// Publishes the node actor on host:port, reusing the address (a node
// restarted right after a crash gets its port back). Throws runtime_error.
void publish_node(caf::actor_system& sys, const caf::actor& node, const std::string& host,
                  std::uint16_t port, bool tls);

// Sends a turn to the node that owns its session (as its origin came in,
// with the session resolved here); that node's reply goes to the origin's
// sink. From any thread: straight to a linked owner, else through the node
// actor (which links to it first).
void forward_turn(const cluster_link& link, const std::string& owner,
                  const chat_turn& turn);

}  // namespace troupe::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::install_runner)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::send_turn)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::set_membership)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::peer_refused)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::peer_reachable)
