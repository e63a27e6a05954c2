#include "actors/agent_repository.hpp"

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "domain/core/clock.hpp"
#include "domain/core/text_sanitize.hpp"

namespace troupe::actors {

namespace {

struct agent_repo_state {
  std::shared_ptr<storage::agent_store> store;
  std::shared_ptr<component_status> health;  // of the storage, for GET /v1/health
  session_repo_actor sessions;
  scheduler_actor scheduler;
  std::size_t max_config_bytes = 0;
};

using self_ptr = agent_repo_actor::stateful_pointer<agent_repo_state>;

domain::api_error not_found_error(const std::string& id) {
  return domain::not_found("agent '" + domain::echo(id) + "' not found", "agent_not_found");
}

void check_write(storage::write_status s, const domain::agent_config& a) {
  using storage::write_status;
  switch (s) {
    case write_status::ok: return;
    case write_status::not_found: throw not_found_error(a.id);
    case write_status::duplicate_id:
      throw domain::conflict("an agent with id '" + a.id + "' already exists", "duplicate_id", "id");
    case write_status::duplicate_name:
      throw domain::conflict("an agent named '" + a.name + "' already exists", "duplicate_name",
                             "name");
  }
}

// Stores an updated agent and lets its live actor know.
agent_reply save_update(self_ptr self, const domain::agent_config& updated) {
  check_write(self->state.store->update(updated), updated);
  self->state.health->record_success(domain::now_ms());
  if (self->state.scheduler)
    self->send(self->state.scheduler,
               agent_changed{std::make_shared<const domain::agent_config>(updated)});
  return {updated};
}

domain::agent_config existing(self_ptr self, const std::string& id) {
  auto found = self->state.store->get(id);
  if (!found) throw not_found_error(id);
  return *found;
}

agent_repo_actor::behavior_type agent_repository(self_ptr self,
                                                 std::shared_ptr<storage::agent_store> store,
                                                 session_repo_actor sessions,
                                                 std::size_t max_config_bytes,
                                                 std::shared_ptr<component_status> health) {
  self->state.store = std::move(store);
  self->state.health = health ? std::move(health) : std::make_shared<component_status>();
  self->state.sessions = std::move(sessions);
  self->state.max_config_bytes = max_config_bytes;
  return {
      [=](const create_agent& m) -> caf::result<agent_reply> {
        std::optional<agent_reply> created;
        auto r = guarded<agent_reply>(*self->state.health, [&] {
          auto a = domain::apply_agent_patch(m.patch, domain::agent_config{}, true,
                                             self->state.max_config_bytes);
          check_write(self->state.store->insert(a), a);
          self->state.health->record_success(domain::now_ms());
          created = agent_reply{a};
          return *created;
        });
        if (!created) return r;
        // A turn that finished while an agent of this id was being deleted may
        // have stored a session after the sweep: the new agent must not
        // inherit it. Usually nothing is there and this is one indexed read.
        // The agent is stored either way, so it is the answer either way.
        auto rp = self->make_response_promise<agent_reply>();
        auto reply = *created;
        self->request(self->state.sessions, caf::infinite, delete_agent_sessions{reply.agent.id})
            .then([=](counted) mutable { rp.deliver(reply); },
                  [=](caf::error& e) mutable {
                    spdlog::warn("agent '{}' created, but clearing old sessions under its id failed: {}",
                                 reply.agent.id, caf::to_string(e));
                    rp.deliver(reply);
                  });
        return rp;
      },
      [=](const update_agent& m) {
        return guarded<agent_reply>(*self->state.health, [&] {
          auto a = domain::apply_agent_patch(m.patch, existing(self, m.id), false,
                                             self->state.max_config_bytes);
          return save_update(self, a);
        });
      },
      [=](const set_agent_status& m) {
        return guarded<agent_reply>(*self->state.health, [&] {
          auto a = existing(self, m.id);
          a.status = m.status;
          a.updated_at_ms = std::max(domain::now_ms(), a.created_at_ms);
          return save_update(self, a);
        });
      },
      [=](const delete_agent& m) -> caf::result<deleted> {
        bool existed = false;
        auto r = guarded<deleted>(*self->state.health, [&] {
          existed = self->state.store->remove(m.id);
          self->state.health->record_success(domain::now_ms());
          return deleted{existed};
        });
        if (!existed) return r;
        // The agent's sessions end with it: drop them from storage and stop
        // their actors before answering, so nothing of them answers afterwards.
        auto rp = self->make_response_promise<deleted>();
        self->request(self->state.sessions, caf::infinite, delete_agent_sessions{m.id})
            .then([=](counted) mutable {
                    if (self->state.scheduler) self->send(self->state.scheduler, agent_removed{m.id});
                    rp.deliver(deleted{true});
                  },
                  [=](caf::error& e) mutable { rp.deliver(e); });
        return rp;
      },
      [=](const get_agent& m) {
        return guarded<found_agent>(*self->state.health,
                                    [&] { return found_agent{self->state.store->get(m.id)}; });
      },
      [=](const list_agents& m) {
        return guarded<agent_list>(*self->state.health,
                                   [&] { return agent_list{self->state.store->list(m.query)}; });
      },
      [=](const count_agents&) {
        return guarded<counted>(*self->state.health,
                                [&] { return counted{self->state.store->count()}; });
      },
      [=](const subscribe& m) { self->state.scheduler = m.scheduler; },
  };
}

}  // namespace

agent_repo_actor spawn_agent_repository(caf::actor_system& sys,
                                        std::shared_ptr<storage::agent_store> store,
                                        session_repo_actor sessions,
                                        std::size_t max_config_bytes,
                                        std::shared_ptr<component_status> health) {
  // A durable write waits for the disk on a thread of its own.
  if (store->blocks())
    return sys.spawn<caf::detached>(agent_repository, std::move(store), std::move(sessions),
                                    max_config_bytes, std::move(health));
  return sys.spawn(agent_repository, std::move(store), std::move(sessions), max_config_bytes,
                   std::move(health));
}

}  // namespace troupe::actors
