#include "actors/providers/provider_directory.hpp"

#include "actors/providers/openai_provider.hpp"
#include "actors/providers/test_provider.hpp"

namespace troupe::actors {

const provider_entry* provider_directory::resolve(std::string_view llm_config_id) const {
  auto name = std::string(llm_config_id.empty() ? std::string_view(default_name) : llm_config_id);
  auto it = entries.find(name);
  return it == entries.end() ? nullptr : &it->second;
}

namespace {

// Spawns `name` after its fallback (the services parser refuses cycles), so
// each provider gets the actor it falls back to.
const provider_entry& spawn_one(caf::actor_system& sys, const domain::services_config& cfg,
                                provider_directory& dir, const std::string& name, telemetry& t) {
  if (auto it = dir.entries.find(name); it != dir.entries.end()) return it->second;
  auto& p = *cfg.find(name);
  provider_entry entry{p, {}};
  if (p.type == "test") {
    entry.actor = spawn_test_provider(sys, p, entry.status, t.provider(name));
  } else if (p.type == "openai") {
    openai_provider_deps deps{dir.io, entry.status, {}, t.provider(name)};
    if (!p.fallback.empty()) deps.fallback = spawn_one(sys, cfg, dir, p.fallback, t).actor;
    if (!dir.io) dir.io = std::make_shared<curl_loop>();
    deps.io = dir.io;
    entry.actor = spawn_openai_provider(sys, p, std::move(deps));
  }
  return dir.entries.emplace(name, std::move(entry)).first->second;
}

}  // namespace

std::shared_ptr<const provider_directory> spawn_providers(
    caf::actor_system& sys, const domain::services_config& cfg, std::shared_ptr<telemetry> t) {
  if (!t) t = std::make_shared<telemetry>();
  auto dir = std::make_shared<provider_directory>();
  dir->default_name = cfg.default_provider;
  for (auto& [name, p] : cfg.providers) spawn_one(sys, cfg, *dir, name, *t);
  return dir;
}

}  // namespace troupe::actors
