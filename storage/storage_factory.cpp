#include "storage/storage_factory.hpp"

#include "storage/memory_agent_store.hpp"
#include "storage/memory_key_store.hpp"
#include "storage/memory_session_store.hpp"
#include "storage/memory_usage_store.hpp"
#include "storage/postgres/pg_agent_store.hpp"
#include "storage/postgres/pg_cluster_store.hpp"
#include "storage/postgres/pg_key_store.hpp"
#include "storage/postgres/pg_session_store.hpp"
#include "storage/sqlite_agent_store.hpp"
#include "storage/sqlite_key_store.hpp"
#include "storage/sqlite_session_store.hpp"
#include "storage/sqlite_usage_store.hpp"

namespace troupe::storage {

backends open_storage(const std::string& spec) {
  if (spec == "memory")
    return {std::make_unique<memory_agent_store>(), std::make_unique<memory_session_store>(), nullptr,
            std::make_unique<memory_key_store>(), std::make_unique<memory_usage_store>(), nullptr};
  if (auto path = sqlite_path_of(spec)) {
    {  // once, before the stores open their own connections
      sqlite_db db{*path};
      db.migrate();
      db.drop_orphan_sessions();
    }
    return {std::make_unique<sqlite_agent_store>(*path),
            std::make_unique<sqlite_session_store>(*path),
            std::make_unique<sqlite_session_store>(*path),
            std::make_unique<sqlite_key_store>(*path), std::make_unique<sqlite_usage_store>(*path),
            nullptr};
  }
  if (auto uri = postgres_uri_of(spec)) {
    {  // once, before the stores open their own connections
      pg_db db{*uri};
      db.migrate();
      db.drop_orphan_sessions();
    }
    return {std::make_unique<pg_agent_store>(*uri), std::make_unique<pg_session_store>(*uri),
            std::make_unique<pg_session_store>(*uri), std::make_unique<pg_key_store>(*uri),
            std::make_unique<pg_usage_store>(*uri), nullptr};
  }
  throw storage_error("unknown storage '" + spec + "' (use memory, sqlite:PATH or postgres:URI)");
}

std::unique_ptr<session_store> open_existing_sessions(const std::string& spec) {
  if (auto uri = postgres_uri_of(spec)) {
    pg_db{*uri}.check_schema();
    return std::make_unique<pg_session_store>(*uri);
  }
  auto path = sqlite_path_of(spec);
  if (!path)
    throw storage_error("storage '" + spec +
                        "' keeps nothing between runs: use sqlite:PATH or postgres:URI");
  sqlite_db{*path, false}.check_schema();
  return std::make_unique<sqlite_session_store>(*path, false);
}

std::unique_ptr<cluster_store> open_cluster_store(const std::string& spec) {
  auto uri = postgres_uri_of(spec);
  if (!uri)
    throw storage_error(
        "a cluster needs --storage=postgres:URI (the nodes share that database); '" + spec +
        "' cannot be shared between nodes");
  pg_db{*uri}.migrate();  // whichever of open_storage and this comes first
  return std::make_unique<pg_cluster_store>(*uri);
}

}  // namespace troupe::storage
