#include "actors/response_turn.hpp"

#include <algorithm>

#include "actors/errors.hpp"
#include "domain/chat/conversation_hash.hpp"
#include "domain/chat/history.hpp"
#include "domain/core/ids.hpp"

namespace troupe::actors {

namespace {

struct front_state {
  response_turn_deps deps;
  domain::responses_request req;
  std::shared_ptr<turn_reply> reply;
  std::string session_id;  // the stored session it continues, once known
  std::optional<std::size_t> continues;
  bool chained = false;  // to a stored response: a bounce forks
};

using self_ptr = caf::stateful_actor<front_state>*;

void fail(self_ptr self, const domain::api_error& e) {
  self->state.reply->fail(e);
  self->quit();
}

void on_error(self_ptr self, caf::error& e) { fail(self, to_api_error(e)); }

// The turn goes to the scheduler; this actor's work is done.
void send_turn(self_ptr self, const std::vector<domain::stored_item>& items) {
  auto& st = self->state;
  domain::message_list input;
  try {
    input = domain::assemble_input(st.req.input, items);
  } catch (const domain::api_error& e) {
    return fail(self, e);
  }
  domain::set_input(st.req, std::move(input));
  auto request = std::make_shared<const domain::completion_request>(std::move(st.req.chat));
  chat_turn turn;
  turn.request = request;
  turn.reply = st.reply;
  turn.origin = st.deps.origin;
  turn.pinned = st.deps.pinned;
  if (!st.session_id.empty()) {
    turn.session_id = st.session_id;
    turn.continues = st.continues;
    turn.fork_on_bounce = st.chained;
    st.reply->set_session(st.session_id);
  } else {
    turn.session_id = request->session_id;
    turn.fresh = request->session_id_generated;
    // A stateless client resends its conversation: find the session holding it.
    if (request->session_id_generated && request->store)
      turn.candidates = domain::resend_candidates(
          request->messages, domain::leading_system_count(request->messages));
  }
  caf::anon_send(st.deps.scheduler, std::move(turn));
  self->quit();
}

// References name stored items: fetch the session that holds them.
void resolve(self_ptr self) {
  auto& st = self->state;
  auto refs = domain::references_of(st.req.input);
  if (refs.empty()) return send_turn(self, {});
  auto fetch = [=](const std::string& session) {
    self->request(self->state.deps.loader, caf::infinite, get_items{session})
        .then(
            [=](item_list& l) {
              // Another user's items are not there for this request.
              if (!l.session || l.session->user_id != self->state.req.chat.user_id) l.items.clear();
              send_turn(self, l.items);
            },
            [=](caf::error& e) { on_error(self, e); });
  };
  if (!st.session_id.empty()) return fetch(st.session_id);
  self->request(st.deps.loader, caf::infinite, find_item_session{refs.front()})
      .then([=](item_session& s) { s.session_id ? fetch(*s.session_id) : send_turn(self, {}); },
            [=](caf::error& e) { on_error(self, e); });
}

// The reply message of a stored response: msg_<hex> of resp_<hex>.
std::string reply_item_of(const std::string& response_id) {
  auto sep = response_id.find('_');
  return "msg_" + (sep == std::string::npos ? response_id : response_id.substr(sep + 1));
}

// Continues at the first `n` messages of `session`: in it when it holds just
// those, else in a fork of them. With store:false nothing may be stored, so
// the history goes in front of the input instead, in a new unstored session.
void continue_at(self_ptr self, const domain::session_info& session, std::size_t n,
                 std::vector<domain::stored_item> items) {
  auto& st = self->state;
  if (!st.req.spec->store) {
    items.resize(std::min(items.size(), n));
    std::vector<domain::input_piece> front;
    for (auto& item : items) {
      domain::input_piece p;
      p.message = item.message;
      front.push_back(std::move(p));
    }
    st.req.input.insert(st.req.input.begin(), front.begin(), front.end());
    return resolve(self);
  }
  st.continues = n;
  st.chained = true;
  if (static_cast<std::size_t>(session.message_count) == n) {
    st.session_id = session.id;
    return resolve(self);
  }
  // The session went on after that response: branch off at it.
  auto id = domain::new_id("sess-");
  self->request(st.deps.repo, caf::infinite, fork_session{session.id, n, id})
      .then(
          [=](forked& f) {
            if (!f.session) return fail(self, domain::not_found("the response's session is gone"));
            self->state.session_id = f.session->id;
            self->state.chained = false;  // the fork is new: nothing races it
            resolve(self);
          },
          [=](caf::error& e) { on_error(self, e); });
}

void chain(self_ptr self, response_found& found) {
  auto& st = self->state;
  auto& spec = *st.req.spec;
  if (!found.response || !found.session || found.response->user_id != st.req.chat.user_id)
    return fail(self, domain::not_found("response '" + spec.previous_response_id + "' not found",
                                        "response_not_found", "previous_response_id"));
  auto session = *found.session;
  auto end = static_cast<std::size_t>(found.response->end_count);
  if (!session.edited() && spec.store) return continue_at(self, session, end, {});
  // Items were removed (or the history must be resent): find where the
  // response ends by its reply's item.
  auto reply = reply_item_of(found.response->id);
  self->request(st.deps.loader, caf::infinite, get_items{session.id})
      .then(
          [=](item_list& l) mutable {
            std::size_t n = l.items.size();
            if (session.edited()) {
              auto at = std::find_if(l.items.begin(), l.items.end(),
                                     [&](auto& i) { return i.id == reply; });
              if (at == l.items.end())
                return fail(self, domain::conflict("response '" + found.response->id +
                                                       "' can no longer be continued: its reply "
                                                       "was removed from its conversation",
                                                   "response_item_removed", "previous_response_id"));
              n = static_cast<std::size_t>(at - l.items.begin()) + 1;
            } else {
              n = std::min(n, end);
            }
            continue_at(self, session, n, std::move(l.items));
          },
          [=](caf::error& e) { on_error(self, e); });
}

caf::behavior front(self_ptr self, response_turn_deps deps, domain::responses_request req,
                    std::shared_ptr<turn_reply> reply) {
  auto& st = self->state;
  st.deps = std::move(deps);
  st.req = std::move(req);
  st.reply = std::move(reply);
  auto& spec = *st.req.spec;
  if (!spec.previous_response_id.empty()) {
    self->request(st.deps.loader, caf::infinite, find_response{spec.previous_response_id})
        .then([=](response_found& f) { chain(self, f); },
              [=](caf::error& e) { on_error(self, e); });
  } else if (!spec.conversation_id.empty()) {
    self->request(st.deps.loader, caf::infinite, get_session_row{spec.conversation_id})
        .then(
            [=](session_row& row) {
              auto& st = self->state;
              if (!row.session || row.session->user_id != st.req.chat.user_id)
                return fail(self, domain::not_found("conversation '" + spec.conversation_id +
                                                        "' not found",
                                                    "conversation_not_found", "conversation"));
              st.session_id = row.session->id;
              resolve(self);
            },
            [=](caf::error& e) { on_error(self, e); });
  } else {
    resolve(self);
  }
  return {[](caf::unit_t) {}};  // it only waits for its own requests' answers
}

}  // namespace

void start_response_turn(caf::actor_system& sys, const response_turn_deps& deps,
                         domain::responses_request request, std::shared_ptr<turn_reply> reply) {
  sys.spawn(front, deps, std::move(request), std::move(reply));
}

}  // namespace troupe::actors
