#pragma once
// The key repository: the only actor that writes user keys. It keeps the key
// directory (what HTTP threads check tokens against) current before it
// answers, so a revoked key is refused from the next request on.
#include <memory>

#include "actors/component_status.hpp"
#include "actors/key_messages.hpp"
#include "domain/keys/key_directory.hpp"
#include "storage/key_store.hpp"
#include "storage/usage_store.hpp"

namespace troupe::actors {

// Start-up: every stored key into the directory, with the tokens each key
// with a budget already spent in its current period. Throws storage_error.
void load_keys(const storage::key_store& keys, const storage::usage_store& usage,
               domain::key_directory& directory, std::int64_t now_ms);

key_repo_actor spawn_key_repository(caf::actor_system& sys, std::shared_ptr<storage::key_store> store,
                                    std::shared_ptr<domain::key_lookup> directory,
                                    std::shared_ptr<component_status> health = nullptr);

}  // namespace troupe::actors
