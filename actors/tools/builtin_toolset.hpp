#pragma once
// The tools built into Troupe: current_time (an IANA zone), calculator
// (arithmetic, evaluated safely), fetch_url (an HTTP GET through the curl
// loop: text only, size- and time-limited, only under the toolset's
// fetch_allow prefixes).
#include <memory>

#include "actors/providers/curl_loop.hpp"
#include "actors/tools/toolset.hpp"
#include "domain/service/services_config.hpp"

namespace troupe::actors {

toolset_actor spawn_builtin_toolset(caf::actor_system& sys, const domain::toolset_config& cfg,
                                    std::shared_ptr<curl_loop> http);

}  // namespace troupe::actors
