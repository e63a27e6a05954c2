#pragma once
// The server's RESTinio traits: RESTinio's defaults plus our connection
// listener (cancels work of closed connections), our socket (holds requests
// until they are whole and within limits; see guarded_socket.hpp) and our
// connection-count limiter (keeps accepting when descriptors run out; see
// accept_guard.hpp).
#include "http/accept_guard.hpp"
#include "http/connection_watch.hpp"
#include "http/guarded_socket.hpp"

namespace troupe::http {

struct server_traits : public restinio::default_traits_t {
  using connection_state_listener_t = connection_watch;
  using stream_socket_t = guarded_socket;  // exact HTTP errors, bounded intake
  static constexpr bool use_connection_count_limiter = true;
};

}  // namespace troupe::http

// RESTinio picks its limiter through this metafunction: ours instead of its
// own for our traits (it must be seen before the server is instantiated).
// RESTinio's own lifetime monitor keeps a raw pointer to the limiter, which
// dies with the acceptor while an actor may still hold a connection's request.
template <>
struct restinio::connection_count_limit_types<troupe::http::server_traits> {
  using limiter_t = troupe::http::accept_guard;
  using lifetime_monitor_t = troupe::http::connection_ticket;
};
