#include "actors/cluster/node.hpp"

#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "actors/cluster/forward_proxy.hpp"
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
};

using self_ptr = caf::stateful_actor<node_state>*;

void unreachable(const forwarded_turn& t, const std::string& why) {
  caf::anon_send(t.reply_to, owner_unreachable{why});
}

void deliver(self_ptr self, const caf::actor& peer, forwarded_turn t) {
  auto proxy = t.reply_to;
  self->send(proxy, owner_is{peer});
  self->send(peer, std::move(t));
}

void connected(self_ptr self, const std::string& owner, caf::actor peer) {
  auto& st = self->state;
  auto turns = std::move(st.connecting[owner]);
  st.connecting.erase(owner);
  st.peers[owner] = peer;
  st.peer_of[peer.address()] = owner;
  self->monitor(peer);
  spdlog::info("cluster: connected to node {}", owner);
  for (auto& t : turns) deliver(self, peer, std::move(t));
}

void connect_failed(self_ptr self, const std::string& owner, const std::string& why) {
  auto& st = self->state;
  auto turns = std::move(st.connecting[owner]);
  st.connecting.erase(owner);
  spdlog::warn("cluster: cannot connect to node {}: {}", owner, why);
  for (auto& t : turns) unreachable(t, why);
  if (st.membership) self->send(st.membership, refresh_atom::value);
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
            connected(self, owner, caf::actor_cast<caf::actor>(ptr));
          },
          [=](caf::error& e) { connect_failed(self, owner, self->system().render(e)); });
}

caf::behavior node(self_ptr self, std::shared_ptr<domain::cluster_view> view, caf::actor membership,
                   bool tls) {
  auto& st = self->state;
  st.view = std::move(view);
  st.membership = std::move(membership);
  st.tls = tls;
  self->set_down_handler([=](caf::down_msg& m) {
    auto& st = self->state;
    auto it = st.peer_of.find(m.source);
    if (it == st.peer_of.end()) return;
    spdlog::warn("cluster: lost the link to node {}", it->second);
    st.peers.erase(it->second);
    st.peer_of.erase(it);
    if (st.membership) self->send(st.membership, refresh_atom::value);
  });
  return {
      [=](install_runner& r) { self->state.run = std::move(r.run); },
      [=](send_turn& m) {
        auto& st = self->state;
        if (auto it = st.peers.find(m.owner); it != st.peers.end())
          return deliver(self, it->second, std::move(m.turn));
        auto& waiting = st.connecting[m.owner];
        waiting.push_back(std::move(m.turn));
        if (waiting.size() > 1) return;  // a connection is on its way
        auto snap = st.view->get();
        auto* member = snap->find(m.owner);
        if (!member || !member->up) return connect_failed(self, m.owner, "it is not a live member");
        connect(self, m.owner, member->cluster_address);
      },
      // Another node's turn of a session this node owns.
      [=](forwarded_turn& t) {
        auto& st = self->state;
        if (!st.run) return unreachable(t, "the node is still starting");
        st.run(t);
      },
  };
}

}  // namespace

caf::actor spawn_node(caf::actor_system& sys, std::shared_ptr<domain::cluster_view> view,
                      caf::actor membership, bool tls) {
  return sys.spawn(node, std::move(view), std::move(membership), tls);
}

void publish_node(caf::actor_system& sys, const caf::actor& node, const std::string& host,
                  std::uint16_t port, bool tls) {
  auto port_or = tls ? caf::openssl::publish(node, port, host.c_str(), true)
                     : sys.middleman().publish(node, port, host.c_str(), true);
  if (!port_or)
    throw std::runtime_error("cannot listen for the cluster on " + host + ":" +
                             std::to_string(port) + ": " + sys.render(port_or.error()));
}

void forward_turn(caf::actor_system& sys, const cluster_link& link, const std::string& owner,
                  forwarded_turn f, sink_ptr sink) {
  f.reply_to = spawn_forward_proxy(sys, std::move(sink), link.forward_timeout);
  caf::anon_send(link.node, send_turn{owner, std::move(f)});
}

}  // namespace troupe::actors
