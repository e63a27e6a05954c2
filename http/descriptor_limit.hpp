#pragma once
// How many connections the process can hold: its descriptor limit.
#include <cstddef>

namespace troupe::http {

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the limit now in force.
std::size_t raise_descriptor_limit();

// Descriptors kept for storage, logs, curl's own and tool processes.
constexpr std::size_t reserved_descriptors = 32;

// The default --max-connections: half of what the reserve leaves, since a
// connection may need a second descriptor for its upstream call.
std::size_t default_max_connections(std::size_t descriptor_limit);

}  // namespace troupe::http
