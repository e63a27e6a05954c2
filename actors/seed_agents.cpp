#include "actors/seed_agents.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "actors/errors.hpp"
#include "domain/core/json.hpp"

namespace troupe::actors {

std::size_t seed_agents(caf::actor_system& sys, const agent_repo_actor& repo,
                        const std::string& path, const domain::services_config& services) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read agents file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  rapidjson::Document doc;
  try {
    domain::parse_json(ss.str(), doc);
  } catch (const domain::api_error& e) {
    throw std::runtime_error("agents file '" + path + "': " + e.message);
  }
  if (!doc.IsArray()) throw std::runtime_error("agents file '" + path + "' must hold a JSON array");
  std::size_t created = 0;
  caf::scoped_actor self{sys};  // start-up only: no HTTP thread is waiting
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    auto where = "agents file '" + path + "' entry " + std::to_string(i) + ": ";
    domain::agent_patch patch;
    try {
      patch = domain::parse_agent_patch(
          domain::to_json_text(doc[i]),
          [&](const std::string& n) { return services.find(n) != nullptr; },
          [&](const std::string& n) { return services.find_toolset(n) != nullptr; });
    } catch (const domain::api_error& e) {
      throw std::runtime_error(where + e.message);
    }
    self->request(repo, std::chrono::seconds(10), create_agent{patch})
        .receive([&](const agent_reply&) { ++created; },
                 [&](const caf::error& err) {
                   auto e = to_api_error(err);
                   if (e.status != 409) throw std::runtime_error(where + e.message);
                 });
  }
  return created;
}

}  // namespace troupe::actors
