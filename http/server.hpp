#pragma once
#include "http/api_context.hpp"

namespace troupe::http {

// Serves on `io` until SIGINT or SIGTERM, then stops accepting, lets
// in-flight requests finish for up to --drain-s, and returns the exit code.
// `io` must outlive the actors: a request an actor still holds refers to it,
// and a reply written after the server stopped is queued there and dropped.
int run_server(api_context& ctx, restinio::asio_ns::io_context& io);

// Every route the server answers (--print-routes; the OpenAPI test checks them).
std::vector<router::route_info> api_routes(api_context& ctx);

}  // namespace troupe::http
