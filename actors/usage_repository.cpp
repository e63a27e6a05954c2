#include "actors/usage_repository.hpp"

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"

namespace troupe::actors {

namespace {

struct usage_repo_state {
  std::shared_ptr<storage::usage_store> store;
  std::shared_ptr<domain::usage_meter> meter;
  std::shared_ptr<component_status> health;
  // Drained but not written (the last commit failed): tried again next time.
  std::vector<domain::usage_entry> unsaved;
};

using self_ptr = usage_repo_actor::stateful_pointer<usage_repo_state>;

void flush(self_ptr self) {
  auto& st = self->state;
  auto fresh = st.meter->drain();
  st.unsaved.insert(st.unsaved.end(), std::make_move_iterator(fresh.begin()),
                    std::make_move_iterator(fresh.end()));
  if (st.unsaved.empty()) {
    // A storage that reconnects (PostgreSQL) turns healthy again by itself,
    // without waiting for the next turn.
    if (!st.health->snapshot().failing()) return;
    try {
      if (st.store->probe_write()) st.health->record_success(domain::now_ms());
    } catch (const storage::storage_error&) {
      // Still away: the error already recorded stands.
    }
    return;
  }
  try {
    st.store->add(st.unsaved);
    st.unsaved.clear();
    st.health->record_success(domain::now_ms());
  } catch (const storage::storage_error& e) {
    st.health->record_error(e.what(), domain::now_ms());
    spdlog::error("usage: {} rows not written yet: {}", st.unsaved.size(), e.what());
  }
}

usage_repo_actor::behavior_type usage_repository(self_ptr self,
                                                 std::shared_ptr<storage::usage_store> store,
                                                 std::shared_ptr<domain::usage_meter> meter,
                                                 std::chrono::milliseconds interval,
                                                 std::shared_ptr<component_status> health) {
  auto& st = self->state;
  st.store = std::move(store);
  st.meter = std::move(meter);
  st.health = health ? std::move(health) : std::make_shared<component_status>();
  // On shutdown, what was counted is written before the actor goes.
  self->set_exit_handler([=](caf::exit_msg& m) {
    flush(self);
    self->quit(m.reason);
  });
  self->delayed_send(self, interval, flush_usage{});
  return {
      [=](const query_usage& m) {
        flush(self);
        return guarded<usage_report>(*self->state.health, [&] {
          return usage_report{self->state.store->query(m.query)};
        });
      },
      [=](flush_usage) {
        flush(self);
        self->delayed_send(self, interval, flush_usage{});
      },
  };
}

}  // namespace

usage_repo_actor spawn_usage_repository(caf::actor_system& sys,
                                        std::shared_ptr<storage::usage_store> store,
                                        std::shared_ptr<domain::usage_meter> meter,
                                        std::chrono::milliseconds interval,
                                        std::shared_ptr<component_status> health) {
  if (store->blocks())
    return sys.spawn<caf::detached>(usage_repository, std::move(store), std::move(meter), interval,
                                    std::move(health));
  return sys.spawn(usage_repository, std::move(store), std::move(meter), interval, std::move(health));
}

}  // namespace troupe::actors
