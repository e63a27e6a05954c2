#include "actors/cluster/cluster_messages.hpp"

namespace troupe::actors {

void add_cluster_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<forwarded_turn>("troupe.forwarded_turn");
  cfg.add_message_type<reply_piece>("troupe.reply_piece");
  cfg.add_message_type<node_hello>("troupe.node_hello");
}

}  // namespace troupe::actors
