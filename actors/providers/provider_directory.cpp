#include "actors/providers/provider_directory.hpp"

#include "actors/providers/test_provider.hpp"

namespace troupe::actors {

const provider_entry* provider_directory::resolve(std::string_view llm_config_id) const {
  auto name = std::string(llm_config_id.empty() ? std::string_view(default_name) : llm_config_id);
  auto it = entries.find(name);
  return it == entries.end() ? nullptr : &it->second;
}

std::shared_ptr<const provider_directory> spawn_providers(caf::actor_system& sys,
                                                          const domain::services_config& cfg) {
  auto dir = std::make_shared<provider_directory>();
  dir->default_name = cfg.default_provider;
  for (auto& [name, p] : cfg.providers) {
    provider_actor actor;
    if (p.type == "test") actor = spawn_test_provider(sys, p);
    dir->entries.emplace(name, provider_entry{p, actor});
  }
  return dir;
}

}  // namespace troupe::actors
