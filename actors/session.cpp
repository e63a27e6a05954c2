#include "actors/session.hpp"

#include <deque>

#include "actors/errors.hpp"
#include "domain/chat/completion.hpp"
#include "domain/chat/conversation_hash.hpp"
#include "domain/core/clock.hpp"
#include "domain/openai/responses_codec.hpp"
#include "domain/openai/turn_replay.hpp"

namespace troupe::actors {

namespace {

// A turn, or an edit of the stored conversation (they queue alike).
struct pending_turn {
  session_turn turn;
  caf::typed_response_promise<turn_done> rp;
  std::optional<session_edit> edit;
  caf::typed_response_promise<edit_done> edit_rp;
};

struct session_state {
  std::string id;
  session_repo_actor repo;
  session_options opts;
  bool loaded = false;
  // The newest part of the stored conversation (at least max_history_window
  // messages when there are that many; info->message_count is the whole).
  // Shared read-only with the agent during a turn; copied on change only if
  // a reader still holds it.
  std::shared_ptr<domain::message_list> history = std::make_shared<domain::message_list>();
  // Set from storage, or by the first turn: who owns the session, which agent it talks to.
  std::optional<domain::session_info> info;
  std::deque<pending_turn> queue;
  // The running turn and its id in the deadline registry (0: none). Replies
  // for an id that is no longer current (timed out) are dropped.
  std::optional<pending_turn> current;
  std::uint64_t current_id = 0;
  std::uint64_t epoch = 0;  // cluster: this node's hold on the session (0: none needed)
};

using self_ptr = session_actor::stateful_pointer<session_state>;

void start_next(self_ptr self);
void fail_all(self_ptr self, const domain::api_error& err);

// Ends a turn: tells the scheduler, then answers the client. In this order,
// a client that sends its next request the moment it has the answer finds
// the scheduler's bookkeeping (counts, a failed agent forgotten) done.
void end_turn(pending_turn& p, turn_done done, const domain::api_error* error,
              const llm_result* result = nullptr) {
  if (p.edit) {
    if (error) p.edit_rp.deliver(to_caf_error(*error));
    return;
  }
  p.rp.deliver(done);
  if (error) p.turn.turn.reply->fail(*error);
  if (result) p.turn.turn.reply->complete(*result);
}

// Ends the running turn and moves on.
void finish(self_ptr self, turn_done done, const domain::api_error* error,
            const llm_result* result = nullptr) {
  auto& st = self->state;
  auto p = std::move(*st.current);
  st.current.reset();
  st.current_id = 0;
  end_turn(p, done, error, result);
  start_next(self);
}

// Who may use this session with which agent; nullopt when the turn may run.
std::optional<domain::api_error> refuse(const session_state& st,
                                        const domain::completion_request& req) {
  if (!st.info) return std::nullopt;
  // First, and answered like an unknown session: nothing about another
  // user's session (not even its agent) may show.
  if (st.info->user_id != req.user_id)
    return domain::not_found("session '" + st.id + "' not found", "session_not_found",
                             "metadata.session_id");
  // A Responses chain may change the model (Agents SDK handoffs do): the
  // conversation keeps its first agent, the turn runs with the one asked for.
  if (!st.info->agent_id.empty() && st.info->agent_id != req.model && !req.response)
    return domain::bad_request("session '" + st.id + "' belongs to agent '" + st.info->agent_id +
                                   "', not '" + req.model + "'",
                               "metadata.session_id", "session_agent_mismatch");
  return std::nullopt;
}

// Where the session reads: the session reader (SQLite's second connection), else the repository.
session_loader_actor loader_of(const session_state& st) {
  return st.opts.loader ? st.opts.loader : session_loader_actor{st.repo};
}

// A chat turn sent with an Idempotency-Key, stored: a retry of it (after a
// lost answer: a timeout, or a node that died after its commit) is answered
// from storage. Responses turns are not (their response id is their key).
bool keyed(const domain::completion_request& req) {
  return !req.idempotency_key.empty() && req.store && !req.response;
}

void append_history(session_state& st, const domain::message_list& added) {
  constexpr auto keep = domain::max_history_window;
  // Trim only once twice the window has piled up: an amortized copy, not one per turn.
  bool trim = st.history->size() + added.size() > 2 * keep;
  if (trim || st.history.use_count() > 1) {
    auto from = trim ? st.history->size() + added.size() - keep : 0;
    st.history = std::make_shared<domain::message_list>(
        st.history->begin() + static_cast<std::ptrdiff_t>(std::min(from, st.history->size())),
        st.history->end());
  }
  st.history->insert(st.history->end(), added.begin(), added.end());
}

void store(self_ptr self, llm_result r, std::size_t new_begin) {
  auto& st = self->state;
  auto& req = *st.current->turn.turn.request;
  if (!req.store) {  // answered, nothing kept
    finish(self, turn_done::success(!st.info), nullptr, &r);
    return;
  }
  auto now = domain::now_ms();
  if (!st.info)  // the first stored turn claims the session
    st.info = domain::new_session_info(st.id, req.model, req.user_id, now);
  if (st.info->agent_id.empty()) st.info->agent_id = req.model;  // a conversation made bare
  store_turn write;
  write.info = *st.info;
  write.info.last_activity_ms = now;
  auto& added = write.messages;
  added.assign(req.messages.begin() + static_cast<std::ptrdiff_t>(new_begin), req.messages.end());
  // The agent's own tool calls and their results come before its reply (or
  // end with it, when the reply called the client's tools as well).
  domain::stored_turn_layout layout{added.size(), 0};
  added.insert(added.end(), r.steps.begin(), r.steps.end());
  if (!r.reply_in_steps) added.push_back(domain::stored_reply(r.first().message, req.legacy_functions));
  layout.reply_at = added.size() - 1;
  while (r.reply_in_steps && layout.reply_at > layout.inputs_end &&
         added[layout.reply_at].role != domain::role::assistant)
    --layout.reply_at;
  for (auto& m : added) m.created_at_ms = now;
  // The hash is of the conversation as the client has it (without the
  // agent's own tool rounds): a stateless client's resend finds the session.
  if (r.steps.empty()) {
    write.info.conv_hash = domain::conversation_hash(added.begin(), added.end(), write.info.conv_hash);
  } else {
    domain::message_list seen(added.begin(), added.begin() + static_cast<std::ptrdiff_t>(layout.inputs_end));
    seen.push_back(domain::stored_reply(r.first().message, req.legacy_functions));
    write.info.conv_hash = domain::conversation_hash(seen.begin(), seen.end(), write.info.conv_hash);
  }
  if (req.response) {  // a Responses turn: its response is stored with it
    auto end = write.info.message_count + static_cast<std::int64_t>(added.size());
    auto extra = domain::store_response(*req.response, r, added, layout, st.id,
                                         st.info->user_id, end, now);
    write.item_ids = std::move(extra.item_ids);
    write.response = std::move(extra.record);
  }
  if (keyed(req))
    write.key = domain::turn_key{req.idempotency_key, req.request_hash,
                                 domain::encode_replay(r, r.provider)};
  write.owner_epoch = st.epoch;
  write.owner_node = st.opts.node_id;
  auto info = write.info;
  auto kept = write.messages;  // `write` moves into the request
  self->request(st.repo, caf::infinite, std::move(write))
      .then(
          [=](stored) mutable {
            auto& st = self->state;
            append_history(st, kept);
            st.info->last_activity_ms = now;
            st.info->message_count += static_cast<std::int64_t>(kept.size());
            st.info->conv_hash = info.conv_hash;
            finish(self, turn_done::success(), nullptr, &r);
          },
          [=](caf::error& e) {
            auto err = to_api_error(e);
            if (err.code == "session_moved") {
              // Deposed: another node owns the session now, and this actor's
              // window may be stale. Every turn it holds goes back to retry.
              fail_all(self, err);
              self->quit();
              return;
            }
            finish(self, turn_done::failure(), &err);
          });
}

void run(self_ptr self) {
  auto& st = self->state;
  auto& turn = st.current->turn;
  auto& req = *turn.turn.request;
  auto stored_count = st.info ? static_cast<std::size_t>(st.info->message_count) : 0;
  turn_input in;
  in.request = turn.turn.request;
  in.instructions_end = domain::leading_system_count(req.messages);
  auto new_begin =
      domain::new_messages_begin(*st.history, stored_count, req.messages, in.instructions_end);
  if (auto expected = turn.turn.continues;
      expected && (stored_count != *expected ||
                   (turn.turn.resends && new_begin == in.instructions_end))) {
    // Found by its resent conversation or chained to a response, but another
    // turn moved the session on meanwhile: it is not this turn's any more.
    auto p = std::move(*st.current);
    st.current.reset();
    turn_done d;
    d.bounced = std::move(p.turn.turn);
    p.rp.deliver(std::move(d));
    return;  // start_next, our caller, moves on to the next turn
  }
  in.resent = new_begin != in.instructions_end;
  in.history = st.history;
  in.reply = turn.turn.reply;
  in.reply->mark_started();
  auto id = st.opts.deadlines->start(self);
  st.current_id = id;
  self->request(turn.agent, caf::infinite, std::move(in))
      .then(
          [=](llm_result& r) {
            if (self->state.current_id != id) return;  // it timed out meanwhile
            self->state.opts.deadlines->stop(id);
            self->state.current_id = 0;  // storing is not subject to the turn timeout
            // The provider answered us directly (the agent delegated the call).
            self->state.current->turn.turn.reply->apply_content_prefix(r);
            store(self, std::move(r), new_begin);
          },
          [=](caf::error& e) {
            if (self->state.current_id != id) return;
            self->state.opts.deadlines->stop(id);
            auto err = to_api_error(e);
            // A CAF error (not one of ours) means the agent actor itself failed.
            finish(self, turn_done::failure(is_actor_failure(e)), &err);
          });
}

// Before a keyed turn runs: the turn stored with its key, if any, answers
// it instead (a retry); the key with another request is refused.
void run_unless_stored(self_ptr self) {
  auto& st = self->state;
  auto& req = *st.current->turn.turn.request;
  if (!keyed(req) || !st.info) return run(self);  // nothing stored yet: no key either
  auto loader = loader_of(st);
  self->request(loader, caf::infinite, find_turn_key{st.id, req.idempotency_key})
      .then(
          [=](turn_key_found& found) {
            auto& st = self->state;
            if (!found.key) {
              run(self);
              return start_next(self);  // a turn that bounced is gone: the next one
            }
            auto& req = *st.current->turn.turn.request;
            if (found.key->request_hash != req.request_hash) {
              auto err = domain::unprocessable(
                  "Idempotency-Key '" + req.idempotency_key +
                      "' was used with another request in this session; use a new key",
                  "Idempotency-Key");
              err.code = "idempotency_key_reused";
              return finish(self, turn_done::failure(), &err);
            }
            auto stored = domain::decode_replay(found.key->reply);
            if (!stored) {
              auto err = domain::internal_error("the stored answer of this Idempotency-Key is unreadable");
              return finish(self, turn_done::failure(), &err);
            }
            llm_result r;
            static_cast<domain::completion_result&>(r) = std::move(stored->result);
            r.provider = std::move(stored->provider);
            auto p = std::move(*st.current);
            st.current.reset();
            p.rp.deliver(turn_done::success());
            p.turn.turn.reply->replay(r);
            start_next(self);
          },
          [=](caf::error& e) {
            auto err = to_api_error(e);
            finish(self, turn_done::failure(), &err);
          });
}

// Applies an edit through the repository and takes the conversation as it is then.
void run_edit(self_ptr self) {
  auto& st = self->state;
  auto& e = *st.current->edit;
  auto done = [=](std::optional<domain::session_info> info) {
    auto p = std::move(*self->state.current);
    self->state.current.reset();
    p.edit_rp.deliver(edit_done{std::move(info)});
    start_next(self);
  };
  // An edit that names no user comes with the admin's authority.
  if (!st.info || (!e.user_id.empty() && st.info->user_id != e.user_id)) return done(std::nullopt);
  apply_edit m{e, *st.info};
  auto now = domain::now_ms();
  for (auto& msg : m.edit.add) msg.created_at_ms = now;
  m.info.last_activity_ms = now;
  m.info.conv_hash = domain::conversation_hash(m.edit.add.begin(), m.edit.add.end(), m.info.conv_hash);
  self->request(st.repo, caf::infinite, std::move(m))
      .then(
          [=](edit_applied& r) {
            auto& st = self->state;
            if (r.session) st.info = r.session;
            if (r.history) st.history = std::move(r.history);
            done(std::move(r.session));
          },
          [=](caf::error& err) {
            auto p = std::move(*self->state.current);
            self->state.current.reset();
            p.edit_rp.deliver(std::move(err));
            start_next(self);
          });
}

void start_next(self_ptr self) {
  auto& st = self->state;
  while (st.loaded && !st.current && !st.queue.empty()) {
    auto p = std::move(st.queue.front());
    st.queue.pop_front();
    if (p.edit) {
      st.current = std::move(p);
      run_edit(self);
      continue;
    }
    if (auto refusal = refuse(st, *p.turn.turn.request)) {
      end_turn(p, turn_done::failure(), &*refusal);
      continue;
    }
    st.current = std::move(p);
    run_unless_stored(self);
  }
}

// Answers every turn this session holds; used when it stops for good.
void fail_all(self_ptr self, const domain::api_error& err) {
  auto& st = self->state;
  if (st.current) {
    st.opts.deadlines->stop(st.current_id);
    st.queue.push_front(std::move(*st.current));
    st.current.reset();
    st.current_id = 0;
  }
  for (auto& p : st.queue) {
    end_turn(p, turn_done::failure(), &err);
  }
  st.queue.clear();
}

// Loads the stored conversation (a fresh id has none) and starts the turns
// that waited meanwhile. On a cluster node the session is claimed first (a
// new owner epoch), so that a write of the old owner after it is fenced and
// the load sees every write before it.
void wake(self_ptr self, bool fresh) {
  auto& st = self->state;
  auto loader = loader_of(st);
  auto failed = [=](caf::error& e) {
    // Nothing to run turns on: fail what waits and let the next request
    // start a fresh actor that tries again.
    fail_all(self, to_api_error(e));
    self->quit(e);
  };
  if (fresh && st.opts.node_id.empty()) {
    st.loaded = true;
    return start_next(self);
  }
  if (fresh) {
    self->request(loader, caf::infinite, claim_session{st.id, st.opts.node_id})
        .then(
            [=](claimed c) {
              self->state.epoch = c.epoch;
              self->state.loaded = true;
              start_next(self);
            },
            failed);
    return;
  }
  self->request(loader, caf::infinite, load_session{st.id, st.opts.node_id})
      .then(
          [=](session_snapshot& snap) {
            auto& st = self->state;
            st.epoch = snap.epoch;
            st.info = std::move(snap.info);
            if (snap.history) st.history = std::move(snap.history);
            st.loaded = true;
            start_next(self);
          },
          failed);
}

session_actor::behavior_type session(self_ptr self, std::string id, bool fresh,
                                     session_repo_actor repo, session_options opts) {
  // Stopped (its agent or the session was deleted, the server stops) or
  // failed: every turn it holds still gets an answer.
  self->set_exit_handler([=](caf::exit_msg& m) {
    fail_all(self, to_api_error(m.reason));
    self->quit(m.reason);
  });
  self->set_exception_handler([=](caf::scheduled_actor* a, std::exception_ptr& e) {
    auto reason = log_and_stop(a, e);
    fail_all(self, domain::internal_error("the session failed"));
    return reason;
  });
  auto& st = self->state;
  st.id = std::move(id);
  st.repo = std::move(repo);
  st.opts = std::move(opts);
  st.loaded = false;
  wake(self, fresh);
  return {
      [=](session_turn& t) -> caf::result<turn_done> {
        auto rp = self->make_response_promise<turn_done>();
        self->state.queue.push_back(pending_turn{std::move(t), rp, std::nullopt, {}});
        start_next(self);
        return rp;
      },
      [=](session_edit& e) -> caf::result<edit_done> {
        auto rp = self->make_response_promise<edit_done>();
        self->state.queue.push_back(pending_turn{{}, {}, std::move(e), rp});
        start_next(self);
        return rp;
      },
      [=](const turn_expired& m) {
        if (self->state.current_id != m.turn) return;
        auto err = domain::gateway_timeout("the agent did not answer within " +
                                           std::to_string(self->state.opts.deadlines->timeout().count()) +
                                           " ms");
        finish(self, turn_done::failure(), &err);
      },
  };
}

}  // namespace

session_actor spawn_session(caf::actor_system& sys, std::string id, bool fresh,
                            session_repo_actor repo, session_options opts) {
  return sys.spawn(session, std::move(id), fresh, std::move(repo), std::move(opts));
}

}  // namespace troupe::actors
