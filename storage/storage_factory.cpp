#include "storage/storage_factory.hpp"

#include "storage/memory_agent_store.hpp"
#include "storage/memory_key_store.hpp"
#include "storage/memory_session_store.hpp"
#include "storage/memory_usage_store.hpp"
#include "storage/sqlite_agent_store.hpp"
#include "storage/sqlite_key_store.hpp"
#include "storage/sqlite_session_store.hpp"
#include "storage/sqlite_usage_store.hpp"

namespace troupe::storage {

backends open_storage(const std::string& spec) {
  if (spec == "memory")
    return {std::make_unique<memory_agent_store>(), std::make_unique<memory_session_store>(), nullptr,
            std::make_unique<memory_key_store>(), std::make_unique<memory_usage_store>()};
  if (auto path = sqlite_path_of(spec)) {
    {  // once, before the stores open their own connections
      sqlite_db db{*path};
      db.migrate();
      db.drop_orphan_sessions();
    }
    return {std::make_unique<sqlite_agent_store>(*path),
            std::make_unique<sqlite_session_store>(*path),
            std::make_unique<sqlite_session_store>(*path),
            std::make_unique<sqlite_key_store>(*path), std::make_unique<sqlite_usage_store>(*path)};
  }
  throw storage_error("unknown storage '" + spec + "' (use memory or sqlite:PATH)");
}

std::unique_ptr<session_store> open_existing_sessions(const std::string& spec) {
  auto path = sqlite_path_of(spec);
  if (!path) throw storage_error("storage '" + spec + "' keeps nothing between runs: use sqlite:PATH");
  sqlite_db{*path, false}.check_schema();
  return std::make_unique<sqlite_session_store>(*path, false);
}

}  // namespace troupe::storage
