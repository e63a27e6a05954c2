#include "actors/key_repository.hpp"

#include <limits>

#include "actors/errors.hpp"
#include "domain/core/ids.hpp"
#include "domain/keys/key_secret.hpp"

namespace troupe::actors {

void load_keys(const storage::key_store& keys, const storage::usage_store& usage,
               domain::key_directory& directory, std::int64_t now_ms) {
  domain::key_query all;
  all.limit = std::numeric_limits<std::int64_t>::max();
  for (auto& k : keys.list(all)) {
    directory.put(k);
    if (!k.limits.token_budget) continue;
    domain::usage_query q;
    q.key_id = k.id;
    q.from = domain::utc_day(domain::period_start_ms(k.limits.period, now_ms));
    std::int64_t used = 0;
    for (auto& t : usage.query(q)) used += t.counts.total_tokens();
    directory.meter_of(k.id)->seed_budget(k.limits, used, now_ms);
  }
}

namespace {

struct key_repo_state {
  std::shared_ptr<storage::key_store> store;
  std::shared_ptr<domain::key_lookup> directory;
  std::shared_ptr<component_status> health;
};

using self_ptr = key_repo_actor::stateful_pointer<key_repo_state>;

domain::api_error key_not_found(const std::string& id) {
  return domain::not_found("key '" + id + "' not found", "key_not_found");
}

key_created create(self_ptr self, const create_key& m) {
  auto& st = self->state;
  auto now = domain::now_ms();
  for (;;) {
    auto secret = domain::generate_key_secret();
    domain::api_key k = domain::apply_key_patch(m.patch, domain::api_key{});
    k.id = domain::new_id("key-");
    k.created_at_ms = now;
    k.prefix = secret.prefix;
    k.hash = secret.hash;
    if (!st.store->insert(k)) continue;  // an id or hash taken: 2^-96 odds, draw again
    st.health->record_success(now);
    st.directory->put(k);
    return {std::move(k), std::move(secret.secret)};
  }
}

key_repo_actor::behavior_type key_repository(self_ptr self, std::shared_ptr<storage::key_store> store,
                                             std::shared_ptr<domain::key_lookup> directory,
                                             std::shared_ptr<component_status> health) {
  self->state.store = std::move(store);
  self->state.directory = std::move(directory);
  self->state.health = health ? std::move(health) : std::make_shared<component_status>();
  return {
      [=](const key_changed& m) {
        auto& st = self->state;
        try {
          if (auto k = st.store->get(m.id))
            st.directory->put(*k);
          else
            st.directory->erase(m.id);
        } catch (const storage::storage_error& e) {
          st.health->record_error(e.what(), domain::now_ms());
        }
      },
      [=](const create_key& m) {
        return guarded<key_created>(*self->state.health, [&] { return create(self, m); });
      },
      [=](const update_key& m) {
        return guarded<key_reply>(*self->state.health, [&] {
          auto& st = self->state;
          auto found = st.store->get(m.id);
          if (!found) throw key_not_found(m.id);
          auto k = domain::apply_key_patch(m.patch, *found);
          if (!st.store->update(k)) throw key_not_found(m.id);
          st.health->record_success(domain::now_ms());
          st.directory->put(k);
          return key_reply{std::move(k)};
        });
      },
      [=](const delete_key& m) {
        return guarded<deleted>(*self->state.health, [&] {
          auto& st = self->state;
          bool existed = st.store->remove(m.id);
          st.health->record_success(domain::now_ms());
          st.directory->erase(m.id);
          return deleted{existed};
        });
      },
      [=](const get_key& m) {
        return guarded<found_key>(*self->state.health,
                                  [&] { return found_key{self->state.store->get(m.id)}; });
      },
      [=](const list_keys& m) {
        return guarded<key_list>(*self->state.health,
                                 [&] { return key_list{self->state.store->list(m.query)}; });
      },
  };
}

}  // namespace

key_repo_actor spawn_key_repository(caf::actor_system& sys, std::shared_ptr<storage::key_store> store,
                                    std::shared_ptr<domain::key_lookup> directory,
                                    std::shared_ptr<component_status> health) {
  if (store->blocks())
    return sys.spawn<caf::detached>(key_repository, std::move(store), std::move(directory),
                                    std::move(health));
  return sys.spawn(key_repository, std::move(store), std::move(directory), std::move(health));
}

}  // namespace troupe::actors
