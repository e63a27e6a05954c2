#include "actors/session_repository.hpp"

#include "actors/errors.hpp"
#include "actors/session_reader.hpp"

namespace troupe::actors {

namespace {

struct pending_write {
  storage::turn_write turn;
  caf::typed_response_promise<stored> rp;
};

struct session_repo_state {
  std::shared_ptr<storage::session_store> store;
  std::shared_ptr<component_status> health;  // of the storage, for GET /v1/health
  scheduler_actor scheduler;
  // Group commit: turns that arrive while a commit runs wait here and go to
  // disk together; each is acknowledged only once its commit returned.
  std::vector<pending_write> batch;
  bool commit_queued = false;
};

using self_ptr = session_repo_actor::stateful_pointer<session_repo_state>;

// Whether a read or delete may see session `id`: always without a user,
// else only its owner's (another user's session is as absent as none).
bool owned_by(const storage::session_store& store, const std::string& id,
              const std::optional<std::string>& user_id) {
  if (!user_id) return true;
  auto info = store.get(id);
  return info && info->user_id == *user_id;
}

void commit(self_ptr self) {
  auto& st = self->state;
  st.commit_queued = false;
  auto batch = std::move(st.batch);
  st.batch.clear();
  std::vector<storage::turn_write> turns;
  turns.reserve(batch.size());
  for (auto& p : batch) turns.push_back(std::move(p.turn));
  try {
    auto failed = st.store->append_turns(turns);
    st.health->record_success(domain::now_ms());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (failed[i].empty())
        batch[i].rp.deliver(stored{});
      else
        batch[i].rp.deliver(to_caf_error(domain::service_unavailable("storage failed: " + failed[i])));
    }
  } catch (const storage::storage_error& e) {
    st.health->record_error(e.what(), domain::now_ms());
    auto err = to_caf_error(domain::service_unavailable(std::string("storage failed: ") + e.what()));
    for (auto& p : batch) p.rp.deliver(err);
  }
}

session_repo_actor::behavior_type session_repository(
    self_ptr self, std::shared_ptr<storage::session_store> store,
    std::shared_ptr<component_status> health) {
  self->state.store = std::move(store);
  self->state.health = health ? std::move(health) : std::make_shared<component_status>();
  return {
      [=](const load_session& m) {
        return guarded<session_snapshot>(*self->state.health,
                                         [&] { return read_snapshot(*self->state.store, m.id); });
      },
      [=](store_turn& m) -> caf::result<stored> {
        auto& st = self->state;
        auto rp = self->make_response_promise<stored>();
        st.batch.push_back({{std::move(m.info), std::move(m.messages)}, rp});
        if (!st.commit_queued) {
          // Behind every message already queued: those join this batch.
          st.commit_queued = true;
          self->send(self, commit_pending{});
        }
        return rp;
      },
      [=](commit_pending) { commit(self); },
      [=](const get_session& m) {
        return guarded<session_detail>(*self->state.health, [&] {
          if (!owned_by(*self->state.store, m.id, m.user_id)) return session_detail{};
          auto d = self->state.store->dump(m.id);
          return d ? session_detail{std::move(d->info), std::move(d->messages)} : session_detail{};
        });
      },
      [=](const list_sessions& m) {
        return guarded<session_list>(*self->state.health,
                                     [&] { return session_list{self->state.store->list(m.query)}; });
      },
      [=](const delete_session& m) {
        return guarded<deleted>(*self->state.health, [&] {
          if (!owned_by(*self->state.store, m.id, m.user_id)) return deleted{false};
          bool existed = self->state.store->remove(m.id);
          // A live session actor still holds the conversation: stop it too.
          if (self->state.scheduler) self->send(self->state.scheduler, session_removed{m.id});
          return deleted{existed};
        });
      },
      [=](const delete_agent_sessions& m) {
        return guarded<counted>(*self->state.health, [&] {
          return counted{self->state.store->remove_by_agent(m.agent_id).size()};
        });
      },
      [=](const count_sessions&) {
        return guarded<counted>(*self->state.health,
                                [&] { return counted{self->state.store->count()}; });
      },
      [=](const subscribe& m) { self->state.scheduler = m.scheduler; },
  };
}

}  // namespace

session_repo_actor spawn_session_repository(caf::actor_system& sys,
                                            std::shared_ptr<storage::session_store> store,
                                            std::shared_ptr<component_status> health) {
  // A store that waits for a disk gets a thread of its own, so its commits
  // never hold a scheduler thread that other actors need.
  if (store->blocks())
    return sys.spawn<caf::detached>(session_repository, std::move(store), std::move(health));
  return sys.spawn(session_repository, std::move(store), std::move(health));
}

}  // namespace troupe::actors
