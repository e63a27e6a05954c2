#include "actors/tools/toolset_directory.hpp"

#include "actors/tools/builtin_toolset.hpp"
#include "actors/tools/mcp_server.hpp"

namespace troupe::actors {

const toolset_entry* toolset_directory::find(std::string_view name) const {
  auto it = entries.find(std::string(name));
  return it == entries.end() ? nullptr : &it->second;
}

std::shared_ptr<const toolset_directory> spawn_toolsets(caf::actor_system& sys,
                                                        const domain::services_config& cfg,
                                                        std::shared_ptr<curl_loop> http) {
  auto dir = std::make_shared<toolset_directory>();
  auto curl = [&] {
    if (!http) http = std::make_shared<curl_loop>();
    return http;
  };
  for (auto& [name, t] : cfg.toolsets) {
    toolset_entry e{t, {}};
    if (t.type == "builtin") {
      bool fetches = false;
      for (auto& tool : t.tools) fetches = fetches || tool == "fetch_url";
      e.actor = spawn_builtin_toolset(sys, t, fetches ? curl() : nullptr);
    } else if (t.transport == "http") {
      e.actor = spawn_mcp_server(sys, t, {nullptr, curl()});
    } else {
      if (!dir->processes) dir->processes = std::make_shared<process_loop>();
      e.actor = spawn_mcp_server(sys, t, {dir->processes, nullptr});
    }
    dir->entries.emplace(name, std::move(e));
  }
  return dir;
}

void stop_toolsets(const toolset_directory& dir) {
  for (auto& [name, e] : dir.entries)
    if (e.actor) caf::anon_send_exit(e.actor, caf::exit_reason::user_shutdown);
}

}  // namespace troupe::actors
