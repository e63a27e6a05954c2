#include "actors/scheduler.hpp"

#include <unordered_map>
#include <vector>

#include "actors/agent.hpp"
#include "actors/detail/live_sessions.hpp"
#include "actors/errors.hpp"
#include "domain/core/ids.hpp"
#include "domain/core/text_sanitize.hpp"

namespace troupe::actors {

namespace {

struct scheduler_state {
  agent_repo_actor agent_repo;
  session_repo_actor session_repo;
  actor_factory factory;
  std::unordered_map<std::string, agent_actor> agents;
  scheduler_options opts;
  detail::live_sessions sessions;
  // Turns waiting for their agent's configuration to arrive from storage.
  std::unordered_map<std::string, std::vector<chat_turn>> waiting;
  // Which map entry a monitored actor is, for down messages.
  std::unordered_map<caf::actor_addr, std::pair<bool /*is_session*/, std::string>> monitored;
  std::uint64_t completions = 0;
  std::uint64_t passivated = 0;
  // Cluster: the view release_moved last saw whole.
  std::shared_ptr<const domain::cluster_snapshot> seen_view;
};

using self_ptr = scheduler_actor::stateful_pointer<scheduler_state>;

// Drops a session's entry if it is still `actor` (its down message may come
// later or never matter), so the next turn starts a fresh one.
void forget_session(self_ptr self, const std::string& id, const caf::actor_addr& actor) {
  auto& st = self->state;
  auto* e = st.sessions.find(id);
  if (!e || e->actor.address() != actor) return;
  st.monitored.erase(actor);
  st.sessions.erase(id);
}

// Stops a live session on purpose; turns it still holds are answered with `why`.
void stop_session(self_ptr self, const std::string& id, const caf::error& why) {
  auto* e = self->state.sessions.find(id);
  if (!e) return;
  auto actor = e->actor;
  forget_session(self, id, actor.address());
  self->send_exit(actor, why);
}

// An agent actor that failed is forgotten at once (its down message may come
// later), so the next turn starts a fresh one.
void forget_agent(self_ptr self, const std::string& id, const agent_actor& actor) {
  auto& st = self->state;
  auto it = st.agents.find(id);
  if (it == st.agents.end() || it->second != actor) return;
  st.monitored.erase(actor.address());
  st.agents.erase(it);
}

// Idle sessions sleep: their actor stops, their conversation stays stored,
// and the next turn starts a fresh actor that loads it.
void passivate(self_ptr self, const std::vector<std::string>& ids) {
  for (auto& id : ids) stop_session(self, id, caf::exit_reason::user_shutdown);
  self->state.passivated += ids.size();
}

void route(self_ptr self, chat_turn turn, const agent_actor& agent);
std::string new_session_id(self_ptr self);

// A bounced turn starts a conversation of its own: a new one, or a fork of
// the front of the one it was chained to.
void reroute(self_ptr self, chat_turn turn, const agent_actor& agent) {
  auto from = turn.session_id;
  turn.session_id = new_session_id(self);
  turn.candidates.clear();
  turn.reply->set_session(turn.session_id);
  if (!turn.fork_on_bounce || !turn.continues) {
    turn.fresh = true;
    turn.continues.reset();
    turn.resends = false;
    return route(self, std::move(turn), agent);
  }
  turn.fresh = false;
  turn.fork_on_bounce = false;
  auto reply = turn.reply;
  self->request(self->state.session_repo, caf::infinite,
                fork_session{from, *turn.continues, turn.session_id})
      .then([=](forked&) mutable { route(self, std::move(turn), agent); },
            [=](caf::error& e) { reply->fail(to_api_error(e)); });
}

// The live actor of session `id`, spawned if there is none.
detail::live_sessions::entry& live_session(self_ptr self, const std::string& id, bool fresh,
                                           const std::string& agent_id) {
  auto& st = self->state;
  auto now = detail::live_sessions::clock::now();
  auto* e = st.sessions.find(id);
  if (!e) {
    passivate(self, st.sessions.over_cap(st.opts.max_live_sessions));
    auto actor = st.factory.make_session(self->system(), id, fresh);
    self->monitor(actor);
    st.monitored[actor.address()] = {true, id};
    e = &st.sessions.add(id, actor, agent_id, now);
  }
  st.sessions.turn_started(*e, now);
  return *e;
}

// A new session's id: on a cluster node, one this node owns.
std::string new_session_id(self_ptr self) {
  if (!self->state.opts.cluster) return domain::new_id("sess-");
  return domain::new_owned_id(*self->state.opts.cluster->view->get(), "sess-");
}

// On a cluster node: a turn of a session another node owns goes there
// (false: it went). A turn that came from another node runs here.
bool stays_here(self_ptr self, chat_turn& turn) {
  auto& link = *self->state.opts.cluster;
  auto view = link.view->get();
  if (turn.fresh) {
    if (!view->owns(turn.session_id)) {
      turn.session_id = new_session_id(self);
      turn.reply->set_session(turn.session_id);
    }
    return true;
  }
  // Not forwarded (pinned, or a kind of turn without its request): fencing keeps it safe.
  if (turn.pinned || !turn.origin) return true;
  auto owner = view->owner_of(turn.session_id);
  if (owner == view->self) return true;
  turn.reply->hand_off();
  forward_turn(link, owner, turn);
  return false;
}

// On a cluster node whose view changed: live sessions another node owns now
// stop once idle (one with a turn running stops at the next sweep), so that
// a session that comes back later is loaded afresh, not run on a stale copy.
void release_moved(self_ptr self) {
  auto& st = self->state;
  auto view = st.opts.cluster->view->get();
  if (view == st.seen_view) return;
  std::vector<std::string> moved;
  bool busy = false;  // a moved one still runs a turn: look again next time
  for (auto& id : st.sessions.ids()) {
    if (view->owns(id)) continue;
    if (st.sessions.find(id)->inflight == 0)
      moved.push_back(id);
    else
      busy = true;
  }
  for (auto& id : moved) stop_session(self, id, caf::exit_reason::user_shutdown);
  if (!busy) st.seen_view = view;
}

// Hands the turn to its session's actor, spawning it if it is not live.
void deliver(self_ptr self, chat_turn turn, const agent_actor& agent) {
  if (self->state.opts.cluster && !stays_here(self, turn)) return;
  auto& req = *turn.request;
  auto id = turn.session_id;
  auto* e = &live_session(self, id, turn.fresh, req.model);
  auto reply = turn.reply;
  auto req_model = req.model;
  auto addr = e->actor.address();
  auto ended = [=] { self->state.sessions.turn_ended(id, addr, detail::live_sessions::clock::now()); };
  self->request(e->actor, caf::infinite, session_turn{std::move(turn), agent})
      .then(
          [=](turn_done& d) {
            if (d.ok) ++self->state.completions;
            if (d.agent_failed) {
              // Also stopped: should it still run (the failure was its
              // provider's), nothing may outlive the scheduler's bookkeeping.
              forget_agent(self, req_model, agent);
              self->send_exit(agent, to_caf_error(domain::internal_error("the agent failed")));
            }
            ended();
            if (d.bounced) return reroute(self, std::move(*d.bounced), agent);
            auto* live = self->state.sessions.find(id);
            if (d.dormant && live && live->actor.address() == addr && live->inflight == 0)
              stop_session(self, id, caf::exit_reason::user_shutdown);
          },
          [=](caf::error& e) {
            // The session actor died with this turn running or queued: forget
            // it before answering, so a retry at once starts a fresh one.
            forget_session(self, id, addr);
            reply->fail(domain::internal_error("the session failed: " + caf::to_string(e)));
          });
}

// A stateless client's turn first looks for the session its resent
// conversation continues; every other turn goes straight to its session.
void route(self_ptr self, chat_turn turn, const agent_actor& agent) {
  if (turn.candidates.empty()) return deliver(self, std::move(turn), agent);
  auto& req = *turn.request;
  find_continuation q{req.model, req.user_id, std::move(turn.candidates)};
  turn.candidates.clear();
  auto loader = self->state.opts.loader ? self->state.opts.loader
                                        : session_loader_actor{self->state.session_repo};
  self->request(loader, caf::infinite, std::move(q))
      .then(
          [=](continuation& c) mutable {
            if (c.session) {
              turn.session_id = c.session->id;
              turn.fresh = false;
              turn.continues = static_cast<std::size_t>(c.session->message_count);
              turn.resends = true;
              turn.reply->set_session(turn.session_id);
            }
            deliver(self, std::move(turn), agent);
          },
          [=](caf::error&) mutable {
            deliver(self, std::move(turn), agent);  // storage failed: a new conversation
          });
}

void agent_arrived(self_ptr self, const std::string& id, found_agent& found) {
  auto& st = self->state;
  auto turns = std::move(st.waiting[id]);
  st.waiting.erase(id);
  if (!found.agent) {
    for (auto& t : turns)
      t.reply->fail(domain::not_found("model '" + domain::echo(id) + "' does not exist",
                                      "model_not_found", "model"));
    return;
  }
  auto config = std::make_shared<const domain::agent_config>(std::move(*found.agent));
  auto actor = st.factory.make_agent(self->system(), config);
  self->monitor(actor);
  st.monitored[actor.address()] = {false, id};
  st.agents[id] = actor;
  for (auto& t : turns) route(self, std::move(t), actor);
}

scheduler_actor::behavior_type scheduler(self_ptr self, agent_repo_actor agents,
                                         session_repo_actor sessions, actor_factory factory,
                                         scheduler_options opts) {
  self->set_exception_handler(log_and_stop);
  auto& st = self->state;
  st.opts = opts;
  self->delayed_send(self, opts.sweep_interval, sweep_idle{});
  st.agent_repo = std::move(agents);
  st.session_repo = std::move(sessions);
  st.factory = std::move(factory);
  // On shutdown the live actors go with the scheduler that supervises them.
  self->set_exit_handler([=](caf::exit_msg& m) {
    auto& st = self->state;
    for (auto& id : st.sessions.ids()) self->send_exit(st.sessions.find(id)->actor, m.reason);
    for (auto& [id, a] : st.agents) self->send_exit(a, m.reason);
    self->quit(m.reason);
  });
  self->set_down_handler([=](caf::down_msg& m) {
    auto& st = self->state;
    auto it = st.monitored.find(m.source);
    if (it == st.monitored.end()) return;
    auto [is_session, id] = it->second;
    st.monitored.erase(it);
    if (is_session)
      st.sessions.erase(id);
    else
      st.agents.erase(id);
  });
  return {
      [=](chat_turn& turn) {
        auto& st = self->state;
        auto id = turn.request->model;
        auto live = st.agents.find(id);
        if (live != st.agents.end()) return route(self, std::move(turn), live->second);
        auto& waiting = st.waiting[id];
        waiting.push_back(std::move(turn));
        if (waiting.size() > 1) return;  // a lookup is already on its way
        self->request(st.agent_repo, caf::infinite, get_agent{id})
            .then([=](found_agent& found) { agent_arrived(self, id, found); },
                  [=](caf::error& e) {
                    auto err = to_api_error(e);
                    for (auto& t : self->state.waiting[id]) t.reply->fail(err);
                    self->state.waiting.erase(id);
                  });
      },
      [=](session_edit& edit) -> caf::result<edit_done> {
        auto id = edit.session_id;
        auto& e = live_session(self, id, false, "");
        auto addr = e.actor.address();
        auto rp = self->make_response_promise<edit_done>();
        self->request(e.actor, caf::infinite, std::move(edit))
            .then(
                [=](edit_done& d) mutable {
                  self->state.sessions.turn_ended(id, addr, detail::live_sessions::clock::now());
                  // No such conversation: its actor need not stay around.
                  auto* live = self->state.sessions.find(id);
                  if (!d.session && live && live->actor.address() == addr && live->inflight == 0)
                    stop_session(self, id, caf::exit_reason::user_shutdown);
                  rp.deliver(std::move(d));
                },
                [=](caf::error& err) mutable {
                  self->state.sessions.turn_ended(id, addr, detail::live_sessions::clock::now());
                  if (is_actor_failure(err)) forget_session(self, id, addr);
                  rp.deliver(std::move(err));
                });
        return rp;
      },
      [=](agent_changed& m) {
        auto it = self->state.agents.find(m.config->id);
        if (it != self->state.agents.end()) self->send(it->second, std::move(m));
      },
      [=](const agent_removed& m) {
        auto& st = self->state;
        auto gone = domain::not_found("agent '" + m.id + "' was deleted", "agent_not_found", "model");
        if (auto it = st.agents.find(m.id); it != st.agents.end()) {
          auto actor = it->second;
          forget_agent(self, m.id, actor);
          self->send_exit(actor, to_caf_error(gone));
        }
        for (auto& id : st.sessions.of_agent(m.id)) stop_session(self, id, to_caf_error(gone));
      },
      [=](const session_removed& m) {
        stop_session(self, m.id,
                     to_caf_error(domain::not_found("session '" + m.id + "' was deleted",
                                                    "session_not_found", "metadata.session_id")));
      },
      [=](sweep_idle) {
        auto& st = self->state;
        passivate(self, st.sessions.idle_since(detail::live_sessions::clock::now() - st.opts.session_idle));
        if (st.opts.cluster) {
          release_moved(self);
          st.opts.cluster->live_sessions->store(st.sessions.size());
        }
        self->delayed_send(self, st.opts.sweep_interval, sweep_idle{});
      },
      [=](const health_query&) -> caf::result<health_snapshot> {
        auto rp = self->make_response_promise<health_snapshot>();
        auto& st = self->state;
        health_snapshot h;
        h.live_sessions = st.sessions.size();
        h.passivated_sessions = st.passivated;
        h.live_agent_actors = st.agents.size();
        h.total_completions = st.completions;
        self->request(st.agent_repo, caf::infinite, count_agents{})
            .then(
                [=](counted agents) mutable {
                  h.agents = agents.n;
                  self->request(self->state.session_repo, caf::infinite, count_sessions{})
                      .then(
                          [=](counted sessions) mutable {
                            h.stored_sessions = sessions.n;
                            rp.deliver(h);
                          },
                          [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
                },
                [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
        return rp;
      },
  };
}

}  // namespace

actor_factory default_factory(std::shared_ptr<const provider_directory> providers,
                              session_repo_actor sessions, session_options opts,
                              std::shared_ptr<const toolset_directory> toolsets) {
  actor_factory f;
  f.make_agent = [providers, toolsets](caf::actor_system& sys,
                                       std::shared_ptr<const domain::agent_config> config) {
    return spawn_agent(sys, std::move(config), providers, toolsets);
  };
  f.make_session = [sessions, opts](caf::actor_system& sys, const std::string& id, bool fresh) {
    return spawn_session(sys, id, fresh, sessions, opts);
  };
  return f;
}

scheduler_actor spawn_scheduler(caf::actor_system& sys, agent_repo_actor agents,
                                session_repo_actor sessions, actor_factory factory,
                                scheduler_options opts) {
  return sys.spawn(scheduler, std::move(agents), std::move(sessions), std::move(factory), opts);
}

}  // namespace troupe::actors
