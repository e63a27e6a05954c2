#include "actors/session.hpp"

#include <deque>

#include "actors/errors.hpp"
#include "domain/clock.hpp"

namespace troupe::actors {

namespace {

struct pending_turn {
  session_turn turn;
  caf::typed_response_promise<turn_done> rp;
};

struct session_state {
  std::string id;
  session_repo_actor repo;
  session_options opts;
  bool loaded = false;
  bool busy = false;
  // The stored conversation. Shared read-only with the agent during a turn;
  // copied on append only if a reader still holds it.
  std::shared_ptr<domain::message_list> history = std::make_shared<domain::message_list>();
  // Set from storage, or by the first turn: who owns the session, which agent it talks to.
  std::optional<domain::session_info> info;
  std::deque<pending_turn> queue;
};

using self_ptr = session_actor::stateful_pointer<session_state>;

void start_next(self_ptr self);

void finish(self_ptr self, pending_turn& p, bool ok) {
  p.rp.deliver(turn_done{ok});
  self->state.busy = false;
  start_next(self);
}

void fail(self_ptr self, pending_turn& p, const domain::api_error& e) {
  p.turn.turn.reply->fail(e);
  finish(self, p, false);
}

// Who may use this session with which agent; nullopt when the turn may run.
std::optional<domain::api_error> refuse(const session_state& st, const domain::completion_request& req) {
  if (!st.info) return std::nullopt;
  if (st.info->agent_id != req.model)
    return domain::bad_request("session '" + st.id + "' belongs to agent '" + st.info->agent_id +
                                   "', not '" + req.model + "'",
                               "metadata.session_id", "session_agent_mismatch");
  if (st.info->user_id != req.user_id)
    return domain::forbidden("session '" + st.id + "' belongs to another user",
                             "metadata.user_id");
  return std::nullopt;
}

void store(self_ptr self, pending_turn p, llm_result r, std::size_t new_begin) {
  auto& st = self->state;
  auto& req = *p.turn.turn.request;
  auto now = domain::now_ms();
  auto info = *st.info;
  info.last_activity_ms = now;
  domain::message_list added(req.messages.begin() + static_cast<std::ptrdiff_t>(new_begin),
                             req.messages.end());
  added.push_back(domain::chat_message{domain::role::assistant, r.content, now});
  for (auto& m : added) m.created_at_ms = now;
  self->request(st.repo, caf::infinite, store_turn{info, added})
      .then(
          [=](stored) mutable {
            auto& st = self->state;
            if (st.history.use_count() > 1)
              st.history = std::make_shared<domain::message_list>(*st.history);
            st.history->insert(st.history->end(), added.begin(), added.end());
            st.info->last_activity_ms = now;
            st.info->message_count = static_cast<std::int64_t>(st.history->size());
            p.turn.turn.reply->complete(r);
            finish(self, p, true);
          },
          [=](caf::error& e) mutable { fail(self, p, to_api_error(e)); });
}

void run(self_ptr self, pending_turn p) {
  auto& st = self->state;
  auto& req = *p.turn.turn.request;
  if (!st.info) {  // the first turn claims the session
    auto now = domain::now_ms();
    st.info = domain::session_info{st.id, req.model, req.user_id, now, now, 0};
  }
  turn_input in;
  in.request = p.turn.turn.request;
  in.instructions_end = domain::leading_system_count(req.messages);
  in.new_begin = domain::new_messages_begin(*st.history, req.messages, in.instructions_end);
  in.history = st.history;
  in.reply = p.turn.turn.reply;
  auto new_begin = in.new_begin;
  auto agent = p.turn.agent;
  self->request(agent, st.opts.turn_timeout, std::move(in))
      .then([=](llm_result& r) mutable { store(self, std::move(p), std::move(r), new_begin); },
            [=](caf::error& e) mutable { fail(self, p, to_api_error(e)); });
}

void start_next(self_ptr self) {
  auto& st = self->state;
  while (st.loaded && !st.busy && !st.queue.empty()) {
    auto p = std::move(st.queue.front());
    st.queue.pop_front();
    if (auto refusal = refuse(st, *p.turn.turn.request)) {
      p.turn.turn.reply->fail(*refusal);
      p.rp.deliver(turn_done{false});
      continue;
    }
    st.busy = true;
    run(self, std::move(p));
  }
}

session_actor::behavior_type session(self_ptr self, std::string id, bool fresh,
                                     session_repo_actor repo, session_options opts) {
  auto& st = self->state;
  st.id = std::move(id);
  st.repo = std::move(repo);
  st.opts = opts;
  st.loaded = fresh;
  if (!fresh) {
    self->request(st.repo, caf::infinite, load_session{st.id})
        .then(
            [=](session_snapshot& snap) {
              auto& st = self->state;
              st.info = std::move(snap.info);
              if (snap.history) st.history = std::move(snap.history);
              st.loaded = true;
              start_next(self);
            },
            [=](caf::error& e) {
              // Nothing to run turns on: fail what waits and let the next
              // request start a fresh actor that tries again.
              auto err = to_api_error(e);
              for (auto& p : self->state.queue) {
                p.turn.turn.reply->fail(err);
                p.rp.deliver(turn_done{false});
              }
              self->state.queue.clear();
              self->quit(e);
            });
  }
  return {
      [=](session_turn& t) -> caf::result<turn_done> {
        auto rp = self->make_response_promise<turn_done>();
        self->state.queue.push_back(pending_turn{std::move(t), rp});
        start_next(self);
        return rp;
      },
  };
}

}  // namespace

session_actor spawn_session(caf::actor_system& sys, std::string id, bool fresh,
                            session_repo_actor repo, session_options opts) {
  return sys.spawn(session, std::move(id), fresh, std::move(repo), opts);
}

}  // namespace troupe::actors
