#pragma once
// The messages that cross nodes: plain DTOs with inspect(), in one CAF type
// ID block registered on every node (add_cluster_types). Everything else
// stays local.
#include <caf/all.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace troupe::actors {

// A turn whose session another node owns, sent there as the client sent it:
// the owner parses and runs it exactly as if it had come in itself.
struct forwarded_turn {
  std::string route;       // "chat"
  std::string body;        // the request body
  std::string key_hash;    // the caller's user key (its SHA-256), "" for the admin
  std::string request_id;  // X-Request-Id
  std::string idempotency_key;  // Idempotency-Key, "" if none
  std::string session_id;  // the session it runs in (resolved on the first node)
  bool fresh = false;
  bool resends = false;    // a stateless resend matched to `session_id` …
  std::uint64_t continues = 0;  // … which then held this many messages
  caf::actor reply_to;     // the first node's reply companion, which writes to the client …
  std::uint64_t turn = 0;  // … of this turn (its forward_desk number)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forwarded_turn& x) {
  return f(caf::meta::type_name("troupe.forwarded_turn"), x.route, x.body, x.key_hash,
           x.request_id, x.idempotency_key, x.session_id, x.fresh, x.resends, x.continues, x.reply_to, x.turn);
}

// Owner → first node: one piece of the reply, in order by `seq`.
struct reply_piece {
  enum kind_t : std::int32_t { whole = 0, empty = 1, chunk = 2, last = 3 };
  std::uint64_t turn = 0;  // forwarded_turn::turn
  std::uint64_t seq = 0;
  std::int32_t kind = whole;
  std::int32_t status = 200;
  std::string body;
  std::vector<std::string> headers;  // name, value, name, value …
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reply_piece& x) {
  return f(caf::meta::type_name("troupe.reply_piece"), x.turn, x.seq, x.kind, x.status, x.body,
           x.headers);
}

// First node → the node it connected to: who it is. Between two nodes only
// the one with the smaller id connects (two links between one pair of nodes
// would undo each other); the other one learns its peer from this.
struct node_hello {
  std::string node_id;
  std::string version;  // Troupe's: a node of another version is refused
  caf::actor node;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_hello& x) {
  return f(caf::meta::type_name("troupe.node_hello"), x.node_id, x.version, x.node);
}

void add_cluster_types(caf::actor_system_config& cfg);

}  // namespace troupe::actors

CAF_BEGIN_TYPE_ID_BLOCK(troupe_cluster, caf::first_custom_type_id)
CAF_ADD_TYPE_ID(troupe_cluster, (troupe::actors::forwarded_turn))
CAF_ADD_TYPE_ID(troupe_cluster, (troupe::actors::reply_piece))
CAF_ADD_TYPE_ID(troupe_cluster, (troupe::actors::node_hello))
CAF_END_TYPE_ID_BLOCK(troupe_cluster)
