#pragma once
// The providers of the services file, each behind its actor.
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "actors/messages.hpp"
#include "actors/providers/curl_loop.hpp"
#include "actors/component_status.hpp"
#include "actors/telemetry.hpp"
#include "domain/service/services_config.hpp"

namespace troupe::actors {

struct provider_entry {
  domain::provider_config config;
  provider_actor actor;  // null: this provider type is not implemented
  std::shared_ptr<component_status> status = std::make_shared<component_status>();
};

struct provider_directory {
  std::map<std::string, provider_entry> entries;
  std::string default_name;
  // The upstream I/O thread, shared by the "openai" providers; null when none.
  std::shared_ptr<curl_loop> io;

  // llm_config_id, else the default provider; nullptr when neither exists.
  const provider_entry* resolve(std::string_view llm_config_id) const;
};

// `telemetry` gets each provider's counters (null: counted nowhere).
std::shared_ptr<const provider_directory> spawn_providers(
    caf::actor_system& sys, const domain::services_config& cfg,
    std::shared_ptr<telemetry> telemetry = nullptr);

}  // namespace troupe::actors
