#pragma once
#include "http/api_context.hpp"

namespace troupe::http {

// Serves until SIGINT or SIGTERM, then stops accepting, lets in-flight
// requests finish for up to --drain-s, and returns the exit code.
int run_server(api_context& ctx);

}  // namespace troupe::http
