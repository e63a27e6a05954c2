#include "http/descriptor_limit.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace troupe::http {

std::size_t raise_descriptor_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    auto wanted = rl;
    wanted.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &wanted) == 0)
      rl = wanted;
    else
      spdlog::warn("cannot raise the descriptor limit from {} to {}: {}", rl.rlim_cur,
                   rl.rlim_max, std::strerror(errno));
  }
  if (rl.rlim_cur == RLIM_INFINITY) return 1u << 20;
  return static_cast<std::size_t>(rl.rlim_cur);
}

std::size_t default_max_connections(std::size_t limit) {
  if (limit <= reserved_descriptors + 2) return 1;
  return (limit - reserved_descriptors) / 2;
}

}  // namespace troupe::http
