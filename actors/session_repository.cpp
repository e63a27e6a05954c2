#include "actors/session_repository.hpp"

#include <limits>

#include "actors/errors.hpp"
#include "domain/history.hpp"

namespace troupe::actors {

namespace {

struct session_repo_state {
  std::shared_ptr<storage::session_store> store;
  scheduler_actor scheduler;
};

using self_ptr = session_repo_actor::stateful_pointer<session_repo_state>;

constexpr auto everything = std::numeric_limits<std::size_t>::max();

session_repo_actor::behavior_type session_repository(self_ptr self,
                                                     std::shared_ptr<storage::session_store> store) {
  self->state.store = std::move(store);
  return {
      [=](const load_session& m) {
        return guarded<session_snapshot>([&] {
          auto& s = *self->state.store;
          auto info = s.get(m.id);
          auto history = std::make_shared<domain::message_list>(
              info ? s.history(m.id, domain::max_history_window) : domain::message_list{});
          return session_snapshot{std::move(info), std::move(history)};
        });
      },
      [=](const store_turn& m) {
        return guarded<stored>([&] {
          self->state.store->append_turn(m.info, m.messages);
          return stored{};
        });
      },
      [=](const get_session& m) {
        return guarded<session_detail>([&] {
          auto& s = *self->state.store;
          auto info = s.get(m.id);
          return session_detail{info, info ? s.history(m.id, everything) : domain::message_list{}};
        });
      },
      [=](const list_sessions& m) {
        return guarded<session_list>([&] { return session_list{self->state.store->list(m.query)}; });
      },
      [=](const delete_session& m) {
        return guarded<deleted>([&] {
          bool existed = self->state.store->remove(m.id);
          // A live session actor still holds the conversation: stop it too.
          if (self->state.scheduler) self->send(self->state.scheduler, session_removed{m.id});
          return deleted{existed};
        });
      },
      [=](const delete_agent_sessions& m) {
        return guarded<counted>(
            [&] { return counted{self->state.store->remove_by_agent(m.agent_id).size()}; });
      },
      [=](const count_sessions&) {
        return guarded<counted>([&] { return counted{self->state.store->count()}; });
      },
      [=](const subscribe& m) { self->state.scheduler = m.scheduler; },
  };
}

}  // namespace

session_repo_actor spawn_session_repository(caf::actor_system& sys,
                                            std::shared_ptr<storage::session_store> store) {
  return sys.spawn(session_repository, std::move(store));
}

}  // namespace troupe::actors
