#pragma once
// The first node's side of a forwarded turn: one actor per turn that writes
// the owner's reply pieces to the client in order, and answers 503 (retry in
// 1 s) if the owner is lost before the reply ended, or 504 past `timeout`.
#include <chrono>

#include <caf/all.hpp>

#include "actors/reply_sink.hpp"

namespace troupe::actors {

// Node actor → proxy: the owner's node actor, to watch.
struct owner_is {
  caf::actor node;
};
// Node actor → proxy: the owner could not be reached.
struct owner_unreachable {
  std::string why;
};

caf::actor spawn_forward_proxy(caf::actor_system& sys, sink_ptr sink,
                               std::chrono::milliseconds timeout);

}  // namespace troupe::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::owner_is)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::owner_unreachable)
