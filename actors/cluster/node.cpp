#include "actors/cluster/node.hpp"

#include <caf/actor_companion.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "actors/cluster/forward_desk.hpp"
#include "actors/cluster/remote_sink.hpp"
#include "domain/service/server_options.hpp"

namespace troupe::actors {

namespace {

struct node_state {
  std::shared_ptr<domain::cluster_view> view;
  caf::actor membership;
  bool tls = false;
  forwarded_runner run;
  std::unordered_map<std::string, caf::actor> peers;  // node id → its node actor
  std::unordered_map<caf::actor_addr, std::string> peer_of;
  // Turns waiting for a connection to their owner.
  std::unordered_map<std::string, std::vector<forwarded_turn>> connecting;
  // Members the last connection to failed, and when it was tried.
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> failing;
  std::shared_ptr<forward_desk> desk;       // shared with the HTTP threads …
  std::shared_ptr<peer_directory> shared;   // … which see `peers` here
};

// How often a member we could not connect to is tried again.
constexpr auto retry_unreachable = std::chrono::seconds(3);
// How long a turn waits for the hello of a node that links to this one.
constexpr auto hello_wait = std::chrono::seconds(3);

// Node → itself: the hello of this node should have come by now.
struct hello_due {
  std::string node_id;
};

using self_ptr = caf::stateful_actor<node_state>*;

void unreachable(self_ptr self, const forwarded_turn& t, const std::string& why) {
  self->state.desk->fail(t.turn, owner_lost("the node that owns this session cannot be reached (" +
                                           why + ")"));
}

void deliver(self_ptr self, const caf::actor& peer, forwarded_turn t) { self->send(peer, std::move(t)); }

// `hello`: this node made the link, and tells the other one who it is.
void connected(self_ptr self, const std::string& owner, caf::actor peer, bool hello) {
  auto& st = self->state;
  if (auto old = st.peers.find(owner); old != st.peers.end() && old->second != peer) {
    // A new process under this id (it was restarted): what went to the old
    // one is lost, and the old link's end, whenever it comes, means nothing.
    // Out of the directory first: see forward_turn.
    st.peer_of.erase(old->second.address());
    self->demonitor(old->second);
    st.shared->erase(owner);
    st.desk->fail_owner(owner, owner_lost("the node running this turn was restarted"));
  }
  auto turns = std::move(st.connecting[owner]);
  st.connecting.erase(owner);
  if (hello)
    self->send(peer, node_hello{st.view->get()->self, TROUPE_VERSION, caf::actor_cast<caf::actor>(self)});
  st.peers[owner] = peer;
  st.shared->set(owner, peer);
  st.peer_of[peer.address()] = owner;
  self->monitor(peer);
  spdlog::info("cluster: connected to node {}", owner);
  st.failing.erase(owner);
  if (st.membership) self->send(st.membership, peer_reachable{owner});
  for (auto& t : turns) deliver(self, peer, std::move(t));
}

// `refused`: it is in the table but did not take our connection.
void connect_failed(self_ptr self, const std::string& owner, const std::string& why,
                    bool refused = true) {
  auto& st = self->state;
  auto turns = std::move(st.connecting[owner]);
  st.connecting.erase(owner);
  if (!st.failing.count(owner) || !turns.empty())
    spdlog::warn("cluster: cannot connect to node {}: {}", owner, why);
  if (refused) st.failing[owner] = std::chrono::steady_clock::now();
  for (auto& t : turns) unreachable(self, t, why);
  if (refused && st.membership) self->send(st.membership, peer_refused{owner, why});
}

void connect(self_ptr self, const std::string& owner, const std::string& address);

// The node with the smaller id makes the link between two nodes.
bool links_to(const std::string& self_id, const std::string& other) { return self_id < other; }

// Every live member gets a link before a turn needs it.
void link_members(self_ptr self) {
  auto& st = self->state;
  auto snap = st.view->get();
  auto now = std::chrono::steady_clock::now();
  for (auto& m : snap->members) {
    if (!(m.up || m.unreachable) || m.node_id == snap->self || st.peers.count(m.node_id) ||
        st.connecting.count(m.node_id))
      continue;
    if (auto f = st.failing.find(m.node_id); f != st.failing.end() && now - f->second < retry_unreachable)
      continue;
    st.connecting[m.node_id];  // no turns wait yet
    if (links_to(snap->self, m.node_id))
      connect(self, m.node_id, m.cluster_address);
    else  // it links to us: its hello is due
      self->delayed_send(self, hello_wait, hello_due{m.node_id});
  }
}

void connect(self_ptr self, const std::string& owner, const std::string& address) {
  std::string host;
  std::uint16_t port = 0;
  if (!domain::split_listen(address, host, port))
    return connect_failed(self, owner, "bad cluster address '" + address + "'");
  auto mm = self->state.tls ? self->system().openssl_manager().actor_handle()
                            : self->system().middleman().actor_handle();
  self->request(mm, std::chrono::seconds(5), caf::connect_atom::value, host, port)
      .then(
          [=](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
            if (!ptr) return connect_failed(self, owner, "no node actor at " + address);
            connected(self, owner, caf::actor_cast<caf::actor>(ptr), true);
          },
          [=](caf::error& e) { connect_failed(self, owner, self->system().render(e)); });
}

using link_atom = caf::atom_constant<caf::atom("linkpeers")>;

caf::behavior node(self_ptr self, std::shared_ptr<domain::cluster_view> view,
                   std::shared_ptr<forward_desk> desk, std::shared_ptr<peer_directory> shared, bool tls) {
  auto& st = self->state;
  st.view = std::move(view);
  st.desk = std::move(desk);
  st.shared = std::move(shared);
  st.tls = tls;
  self->send(self, link_atom::value);
  self->set_down_handler([=](caf::down_msg& m) {
    auto& st = self->state;
    auto it = st.peer_of.find(m.source);
    if (it == st.peer_of.end()) return;
    spdlog::warn("cluster: lost the link to node {}", it->second);
    auto id = it->second;
    st.peers.erase(id);
    st.shared->erase(id);  // before the desk fails its turns: see forward_turn
    st.peer_of.erase(it);
    // Its sessions move at once (a node killed mid-turn need not wait for
    // its heartbeat to age); it is back when a link to it stands again.
    st.failing[id] = std::chrono::steady_clock::now() - retry_unreachable / 2;
    if (st.membership) self->send(st.membership, peer_refused{id, "the link to it broke"});
    st.desk->fail_owner(id, owner_lost("the node running this turn was lost"));
  });
  return {
      [=](install_runner& r) { self->state.run = std::move(r.run); },
      [=](set_membership& m) { self->state.membership = std::move(m.membership); },
      [=](link_atom) {
        self->state.desk->expire(std::chrono::steady_clock::now(),
                                domain::gateway_timeout("the node running this turn did not answer in time"));
        link_members(self);
        self->delayed_send(self, std::chrono::milliseconds(500), link_atom::value);
      },
      [=](send_turn& m) {
        auto& st = self->state;
        m.turn.turn = st.desk->open(std::move(m.sink), m.owner, m.deadline);
        if (auto it = st.peers.find(m.owner); it != st.peers.end())
          return deliver(self, it->second, std::move(m.turn));
        bool on_its_way = st.connecting.count(m.owner) > 0;
        st.connecting[m.owner].push_back(std::move(m.turn));
        if (on_its_way) return;
        auto snap = st.view->get();
        auto* member = snap->find(m.owner);
        if (!member || !member->up) return connect_failed(self, m.owner, "it is not a live member", false);
        if (links_to(snap->self, m.owner)) return connect(self, m.owner, member->cluster_address);
        // The other node makes this link: its hello is due within a tick or two.
        self->delayed_send(self, hello_wait, hello_due{m.owner});
      },
      [=](node_hello& h) {
        auto& st = self->state;
        if (h.version != TROUPE_VERSION) {
          spdlog::error("cluster: refusing node {}: it runs Troupe {}, this node {}", h.node_id,
                        h.version, TROUPE_VERSION);
          return;
        }
        if (auto it = st.peers.find(h.node_id); it != st.peers.end() && it->second == h.node) return;
        connected(self, h.node_id, h.node, false);
      },
      [=](const hello_due& m) {
        auto& st = self->state;
        if (st.peers.count(m.node_id) || !st.connecting.count(m.node_id)) return;
        connect_failed(self, m.node_id, "it did not link to this node");
      },
      // Another node's turn of a session this node owns.
      [=](forwarded_turn& t) {
        auto& st = self->state;
        if (st.run) return st.run(t);
        // Answered like a lost owner: the first node's client retries.
        remote_sink sink{t.reply_to, t.turn};
        send_error(sink, owner_lost("the node that owns this session is still starting"));
      },
  };
}

}  // namespace

caf::actor spawn_reply_desk(caf::actor_system& sys, std::shared_ptr<forward_desk> desk) {
  auto replies = sys.spawn<caf::actor_companion>();
  caf::actor_cast<caf::actor_companion*>(replies)->on_enqueue([desk](caf::mailbox_element_ptr m) {
    auto& content = m->content();
    if (content.match_elements<reply_piece>()) desk->piece(content.get_mutable_as<reply_piece>(0));
  });
  return replies;
}

// As CAF's own actor_widget ends its companion: without the handler it drops
// what still comes, and cleanup() ends it (the system waits for it otherwise).
void stop_reply_desk(caf::actor_system& sys, const caf::actor& replies) {
  if (!replies) return;
  auto* companion = caf::actor_cast<caf::actor_companion*>(replies);
  companion->on_enqueue({});
  caf::scoped_execution_unit context{&sys};
  companion->cleanup(caf::exit_reason::user_shutdown, &context);
}

caf::actor spawn_node(caf::actor_system& sys, const cluster_link& link, bool tls) {
  return sys.spawn(node, link.view, link.desk, link.peers, tls);
}

void publish_node(caf::actor_system& sys, const caf::actor& node, const std::string& host,
                  std::uint16_t port, bool tls) {
  auto port_or = tls ? caf::openssl::publish(node, port, host.c_str(), true)
                     : sys.middleman().publish(node, port, host.c_str(), true);
  if (!port_or)
    throw std::runtime_error("cannot listen for the cluster on " + host + ":" +
                             std::to_string(port) + ": " + sys.render(port_or.error()));
}

void forward_turn(const cluster_link& link, const std::string& owner,
                  const chat_turn& turn) {
  auto& o = *turn.origin;
  forwarded_turn f;
  f.route = o.route;
  f.body = o.body;
  f.key_hash = o.key_hash;
  f.request_id = o.request_id;
  f.idempotency_key = o.idempotency_key;
  f.session_id = turn.session_id;
  f.resends = turn.resends;
  f.continues = turn.continues.value_or(0);
  f.reply_to = link.replies;
  auto deadline = std::chrono::steady_clock::now() + link.forward_timeout;
  auto peer = link.peers->find(owner);
  if (!peer)  // the node actor links to it first
    return caf::anon_send(link.node, send_turn{owner, std::move(f), o.sink, deadline});
  f.turn = link.desk->open(o.sink, owner, deadline);
  // The node actor takes a lost peer out of the directory before it fails
  // the desk's turns of that peer: a turn opened meanwhile is failed here.
  if (link.peers->find(owner) != peer)
    return link.desk->fail(f.turn, owner_lost("the link to the node that owns this session broke"));
  caf::anon_send(peer, std::move(f));
}

}  // namespace troupe::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::hello_due)
