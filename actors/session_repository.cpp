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
  std::shared_ptr<telemetry> meter;          // commit latency and batch size
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

// Another node took the session over: this turn was not stored; a retry
// runs on the new owner.
domain::api_error session_moved(const std::string& why) {
  auto e = domain::service_unavailable("the session moved to another node (" +
                                       why.substr(std::string(storage::fenced_prefix).size()) +
                                       "); retry");
  e.code = "session_moved";
  e.retry_after_s = 1;
  return e;
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
    auto began = std::chrono::steady_clock::now();
    auto failed = st.store->append_turns(turns);
    st.meter->storage_commit(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count(), turns.size());
    st.health->record_success(domain::now_ms());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (failed[i].empty())
        batch[i].rp.deliver(stored{});
      else if (failed[i].rfind(storage::fenced_prefix, 0) == 0)
        batch[i].rp.deliver(to_caf_error(session_moved(failed[i])));
      else
        batch[i].rp.deliver(to_caf_error(domain::service_unavailable("storage failed: " + failed[i])));
    }
  } catch (const storage::storage_error& e) {
    st.health->record_error(e.what(), domain::now_ms());
    auto err = to_caf_error(domain::service_unavailable(std::string("storage failed: ") + e.what()));
    for (auto& p : batch) p.rp.deliver(err);
  }
}

// An edit of a stored conversation: items appended or one removed; the
// session's row and window as they are afterwards.
edit_applied apply(storage::session_store& store, const apply_edit& m) {
  edit_applied out;
  auto& e = m.edit;
  if (!e.remove_item.empty()) {
    out.session = store.remove_item(e.session_id, e.remove_item);
  } else {
    storage::turn_write t;
    t.info = m.info;
    t.messages = e.add;
    t.item_ids = e.item_ids;
    auto failed = store.append_turns({t});
    if (!failed[0].empty()) throw storage::storage_error(failed[0]);
    out.session = store.get(e.session_id);
  }
  if (out.session) out.history = read_snapshot(store, load_session{e.session_id}).history;
  return out;
}

session_repo_actor::behavior_type session_repository(
    self_ptr self, std::shared_ptr<storage::session_store> store,
    std::shared_ptr<component_status> health, std::shared_ptr<telemetry> meter) {
  self->state.store = std::move(store);
  self->state.health = health ? std::move(health) : std::make_shared<component_status>();
  self->state.meter = meter ? std::move(meter) : std::make_shared<telemetry>();
  return {
      [=](const load_session& m) {
        return guarded<session_snapshot>(*self->state.health,
                                         [&] { return read_snapshot(*self->state.store, m); });
      },
      [=](const find_continuation& m) {
        return guarded<continuation>(*self->state.health,
                                     [&] { return find_in(*self->state.store, m); });
      },
      [=](const find_response& m) {
        return guarded<response_found>(*self->state.health,
                                       [&] { return find_in(*self->state.store, m); });
      },
      [=](const find_item_session& m) {
        return guarded<item_session>(*self->state.health,
                                     [&] { return find_in(*self->state.store, m); });
      },
      [=](const get_session_row& m) {
        return guarded<session_row>(*self->state.health, [&] { return find_in(*self->state.store, m); });
      },
      [=](const get_items& m) {
        return guarded<item_list>(*self->state.health,
                                  [&] { return find_in(*self->state.store, m); });
      },
      [=](const find_turn_key& m) {
        return guarded<turn_key_found>(*self->state.health,
                                       [&] { return find_in(*self->state.store, m); });
      },
      [=](const fork_session& m) {
        return guarded<forked>(*self->state.health, [&] {
          return forked{self->state.store->fork(m.from, m.count, m.new_id)};
        });
      },
      [=](const delete_response& m) {
        return guarded<deleted>(*self->state.health,
                                [&] { return deleted{self->state.store->remove_response(m.id)}; });
      },
      [=](const set_session_metadata& m) {
        return guarded<deleted>(*self->state.health, [&] {
          return deleted{self->state.store->set_metadata(m.id, m.metadata_json)};
        });
      },
      [=](const apply_edit& m) {
        return guarded<edit_applied>(*self->state.health, [&] { return apply(*self->state.store, m); });
      },
      [=](store_turn& m) -> caf::result<stored> {
        auto& st = self->state;
        auto rp = self->make_response_promise<stored>();
        storage::turn_write t;
        t.info = std::move(m.info);
        t.messages = std::move(m.messages);
        t.item_ids = std::move(m.item_ids);
        t.response = std::move(m.response);
        t.key = std::move(m.key);
        t.owner_epoch = m.owner_epoch;
        t.owner_node = std::move(m.owner_node);
        st.batch.push_back({std::move(t), rp});
        if (!st.commit_queued) {
          // Behind every message already queued: those join this batch.
          st.commit_queued = true;
          self->send(self, commit_pending{});
        }
        return rp;
      },
      [=](commit_pending) { commit(self); },
      [=](const claim_session& m) {
        return guarded<claimed>(*self->state.health, [&] {
          return claimed{self->state.store->claim(m.id, m.node_id)};
        });
      },
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
                                            std::shared_ptr<component_status> health,
                                            std::shared_ptr<telemetry> meter) {
  // A store that waits for a disk gets a thread of its own, so its commits
  // never hold a scheduler thread that other actors need.
  if (store->blocks())
    return sys.spawn<caf::detached>(session_repository, std::move(store), std::move(health),
                                    std::move(meter));
  return sys.spawn(session_repository, std::move(store), std::move(health), std::move(meter));
}

}  // namespace troupe::actors
