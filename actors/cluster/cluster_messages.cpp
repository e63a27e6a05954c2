#include "actors/cluster/cluster_messages.hpp"

namespace troupe::actors {

void add_cluster_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::troupe_cluster>();
}

}  // namespace troupe::actors
