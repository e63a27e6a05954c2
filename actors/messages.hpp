#pragma once
// Every message the actors exchange, and the typed interface of each actor.
// All stay inside one process, so they are whitelisted rather than
// serializable; a cluster transport will need inspect() for the ones it sends.
#include <caf/all.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/turn_reply.hpp"
#include "domain/agents/agent_codec.hpp"
#include "domain/agents/agent_patch.hpp"
#include "domain/agents/agent_config.hpp"
#include "domain/chat/conversation_hash.hpp"
#include "domain/openai/completion_request.hpp"
#include "domain/chat/prompt.hpp"
#include "domain/service/service_codec.hpp"
#include "domain/chat/session_info.hpp"
#include "domain/chat/stored_items.hpp"
#include "domain/chat/turn_key.hpp"

namespace troupe::actors {

// ---- a chat turn -----------------------------------------------------------

// A turn's request as it came in over HTTP: what a cluster node needs to
// send it to the node that owns its session, which then runs it as its own.
struct turn_origin {
  std::string route;       // "chat"
  std::string body;
  std::string key_hash;    // the caller's user key, "" for the admin
  std::string request_id;
  std::string idempotency_key;  // its Idempotency-Key header, "" if none
  sink_ptr sink;           // the client's
};

// HTTP → scheduler.
struct chat_turn {
  std::shared_ptr<const domain::completion_request> request;
  std::shared_ptr<turn_reply> reply;
  // The session it runs in: the request's, or one found by its resent
  // conversation (then `continues` is how many stored messages it resent).
  std::string session_id;
  bool fresh = false;  // a new id: nothing to load
  // The stored message count the turn expects its session to have; with
  // `resends`, the request also starts with exactly those messages.
  std::optional<std::size_t> continues;
  bool resends = false;
  // A turn chained to a stored response: if the session moved on past it
  // meanwhile, the turn goes to a fork of the session's first `continues`
  // messages instead of a new empty session.
  bool fork_on_bounce = false;
  // Prefixes of a resent conversation a stored session may hold (stateless
  // clients: no session id, the whole conversation each time).
  std::vector<domain::conversation_prefix> candidates;
  // Cluster: set, the turn may go to the node that owns its session; pinned,
  // it came from another node and runs here.
  std::shared_ptr<const turn_origin> origin;
  bool pinned = false;
};

// Session → scheduler when a turn is over.
struct turn_done {
  bool ok = false;
  bool agent_failed = false;  // the agent actor died with the turn: do not route to it again
  bool dormant = false;       // the session holds nothing stored (store: false): it may stop
  // The session no longer holds the conversation the turn was matched to
  // (a concurrent turn moved it on): the turn goes to a new session instead.
  std::optional<chat_turn> bounced;

  static turn_done success(bool dormant = false) {
    turn_done d;
    d.ok = true;
    d.dormant = dormant;
    return d;
  }
  static turn_done failure(bool agent_failed = false) {
    turn_done d;
    d.agent_failed = agent_failed;
    return d;
  }
};

// Agent → provider.
struct llm_call {
  domain::prompt prompt;
  domain::sampling_params params;
  std::shared_ptr<turn_reply> reply;  // deltas go here when streaming
};

using provider_actor = caf::typed_actor<caf::replies_to<llm_call>::with<llm_result>>;

// Session → agent: the stored history and the request; the agent windows it.
struct turn_input {
  std::shared_ptr<const domain::completion_request> request;
  std::size_t instructions_end = 0;
  // The client resent the stored conversation: it sent all the model needs.
  bool resent = false;
  std::shared_ptr<const domain::message_list> history;
  std::shared_ptr<turn_reply> reply;
};

// Agent repository → scheduler → agent: the configuration changed.
struct agent_changed {
  std::shared_ptr<const domain::agent_config> config;
};

using agent_actor = caf::typed_actor<caf::replies_to<turn_input>::with<llm_result>,
                                     caf::reacts_to<agent_changed>>;

// Scheduler → session.
struct session_turn {
  chat_turn turn;
  agent_actor agent;
};

// Changes to a stored conversation outside a turn: they run in its session
// actor, in order with its turns, so its window stays true.
struct session_edit {
  std::string session_id;
  std::string user_id;  // who asks (another user's conversation is not found); empty: the admin
  domain::message_list add;           // items to append …
  std::vector<std::string> item_ids;  // … with these ids
  std::string remove_item;            // or an item to remove
};
struct edit_done { std::optional<domain::session_info> session; };  // nullopt: not found

// Watchdog → session: the turn with this id ran out of time.
struct turn_expired {
  std::uint64_t turn = 0;
};

using session_actor = caf::typed_actor<caf::replies_to<session_turn>::with<turn_done>,
                                       caf::replies_to<session_edit>::with<edit_done>,
                                       caf::reacts_to<turn_expired>>;

// ---- agent repository ------------------------------------------------------

struct create_agent { domain::agent_patch patch; };
struct update_agent { std::string id; domain::agent_patch patch; };
struct set_agent_status { std::string id; domain::agent_status status; };
struct delete_agent { std::string id; };
struct get_agent { std::string id; };
struct list_agents { domain::agent_query query; };
struct count_agents {};

struct agent_reply { domain::agent_config agent; };
struct found_agent { std::optional<domain::agent_config> agent; };
struct agent_list { std::vector<domain::agent_config> agents; };
struct deleted { bool existed = false; };
struct counted { std::uint64_t n = 0; };

// Repository → scheduler notifications.
struct agent_removed { std::string id; };
struct session_removed { std::string id; };

// ---- session repository ----------------------------------------------------

// With `claim_for` (cluster), that node takes the session over first (a new
// owner epoch), so that the load sees every write of the owner before it.
struct load_session { std::string id; std::string claim_for{}; };
struct find_continuation {
  std::string agent_id, user_id;
  std::vector<domain::conversation_prefix> candidates;
};
struct continuation { std::optional<domain::session_info> session; };

// Responses and Conversations: reads (reader or repository) …
struct find_response { std::string id; };
struct response_found {
  std::optional<domain::response_record> response;
  std::optional<domain::session_info> session;  // the response's session, as it is now
};
struct find_item_session { std::string item_id; };
struct item_session { std::optional<std::string> session_id; };
struct get_items { std::string session_id; };
struct get_session_row { std::string id; };
// The stored turn of a session with this idempotency key, if any.
struct find_turn_key { std::string session_id; std::string key; };
struct turn_key_found { std::optional<domain::turn_key> key; };
struct session_row { std::optional<domain::session_info> session; };
struct item_list {
  std::optional<domain::session_info> session;
  std::vector<domain::stored_item> items;
};
// … and writes (repository).
struct fork_session { std::string from; std::size_t count = 0; std::string new_id; };
struct forked { std::optional<domain::session_info> session; };
struct delete_response { std::string id; };
struct set_session_metadata { std::string id; std::string metadata_json; };
// Session → repository: apply an edit; the new row and window come back.
struct apply_edit { session_edit edit; domain::session_info info; };
struct edit_applied {
  std::optional<domain::session_info> session;
  std::shared_ptr<domain::message_list> history;
};
struct session_snapshot {
  std::optional<domain::session_info> info;
  std::shared_ptr<domain::message_list> history;  // handed over to the session actor
  std::uint64_t epoch = 0;  // of load_session::claim_for
};
struct store_turn {
  domain::session_info info;
  domain::message_list messages;
  std::vector<std::string> item_ids;  // empty: derived ids
  std::optional<domain::response_record> response;  // a Responses turn's response
  std::optional<domain::turn_key> key;  // the client's idempotency key, with the answer
  // Cluster fencing (see storage::turn_write): 0 on a node of its own.
  std::uint64_t owner_epoch = 0;
  std::string owner_node;
};
struct stored {};
// Session → repository (cluster): this node takes the session over.
struct claim_session { std::string id; std::string node_id; };
struct claimed { std::uint64_t epoch = 0; };
// With `user_id`, another user's session reads as absent (no existence leak).
struct get_session { std::string id; std::optional<std::string> user_id{}; };
struct session_detail {
  std::optional<domain::session_info> info;
  domain::message_list messages;
};
struct list_sessions { domain::session_query query; };
struct session_list { std::vector<domain::session_info> sessions; };
struct delete_session { std::string id; std::optional<std::string> user_id{}; };
struct delete_agent_sessions { std::string agent_id; };
struct count_sessions {};

// ---- health ----------------------------------------------------------------

struct health_query {};
using health_snapshot = domain::runtime_counts;

// Scheduler → itself: look for sessions idle long enough to sleep.
struct sweep_idle {};

using scheduler_actor = caf::typed_actor<
    caf::reacts_to<chat_turn>,
    caf::replies_to<session_edit>::with<edit_done>,
    caf::reacts_to<agent_changed>,
    caf::reacts_to<agent_removed>,
    caf::reacts_to<session_removed>,
    caf::replies_to<health_query>::with<health_snapshot>,
    caf::reacts_to<sweep_idle>>;

// Repository → scheduler link, set once at start-up.
struct subscribe { scheduler_actor scheduler; };

// Session repository → itself: commit the turns gathered so far.
struct commit_pending {};

using session_repo_actor = caf::typed_actor<
    caf::replies_to<load_session>::with<session_snapshot>,
    caf::replies_to<find_continuation>::with<continuation>,
    caf::replies_to<find_response>::with<response_found>,
    caf::replies_to<find_item_session>::with<item_session>,
    caf::replies_to<get_items>::with<item_list>,
    caf::replies_to<get_session_row>::with<session_row>,
    caf::replies_to<find_turn_key>::with<turn_key_found>,
    caf::replies_to<fork_session>::with<forked>,
    caf::replies_to<delete_response>::with<deleted>,
    caf::replies_to<set_session_metadata>::with<deleted>,
    caf::replies_to<apply_edit>::with<edit_applied>,
    caf::replies_to<store_turn>::with<stored>,
    caf::replies_to<claim_session>::with<claimed>,
    caf::replies_to<get_session>::with<session_detail>,
    caf::replies_to<list_sessions>::with<session_list>,
    caf::replies_to<delete_session>::with<deleted>,
    caf::replies_to<delete_agent_sessions>::with<counted>,
    caf::replies_to<count_sessions>::with<counted>,
    caf::reacts_to<subscribe>,
    caf::reacts_to<commit_pending>>;

// What a waking session needs: the session repository itself, or a reader
// with its own connection that does not wait behind the repository's commits
// (a claim is one statement of its own: it need not wait either).
using session_loader_actor =
    caf::typed_actor<caf::replies_to<load_session>::with<session_snapshot>,
                     caf::replies_to<claim_session>::with<claimed>,
                     caf::replies_to<find_continuation>::with<continuation>,
                     caf::replies_to<find_response>::with<response_found>,
                     caf::replies_to<find_item_session>::with<item_session>,
                     caf::replies_to<get_items>::with<item_list>,
                     caf::replies_to<get_session_row>::with<session_row>,
                     caf::replies_to<find_turn_key>::with<turn_key_found>>;

using agent_repo_actor = caf::typed_actor<
    caf::replies_to<create_agent>::with<agent_reply>,
    caf::replies_to<update_agent>::with<agent_reply>,
    caf::replies_to<set_agent_status>::with<agent_reply>,
    caf::replies_to<delete_agent>::with<deleted>,
    caf::replies_to<get_agent>::with<found_agent>,
    caf::replies_to<list_agents>::with<agent_list>,
    caf::replies_to<count_agents>::with<counted>,
    caf::reacts_to<subscribe>>;

}  // namespace troupe::actors

#define TROUPE_LOCAL_MESSAGE(T) CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::T)
TROUPE_LOCAL_MESSAGE(chat_turn)
TROUPE_LOCAL_MESSAGE(turn_done)
TROUPE_LOCAL_MESSAGE(llm_call)
TROUPE_LOCAL_MESSAGE(llm_result)
TROUPE_LOCAL_MESSAGE(turn_input)
TROUPE_LOCAL_MESSAGE(agent_changed)
TROUPE_LOCAL_MESSAGE(session_turn)
TROUPE_LOCAL_MESSAGE(turn_expired)
TROUPE_LOCAL_MESSAGE(create_agent)
TROUPE_LOCAL_MESSAGE(update_agent)
TROUPE_LOCAL_MESSAGE(set_agent_status)
TROUPE_LOCAL_MESSAGE(delete_agent)
TROUPE_LOCAL_MESSAGE(get_agent)
TROUPE_LOCAL_MESSAGE(list_agents)
TROUPE_LOCAL_MESSAGE(count_agents)
TROUPE_LOCAL_MESSAGE(agent_reply)
TROUPE_LOCAL_MESSAGE(found_agent)
TROUPE_LOCAL_MESSAGE(agent_list)
TROUPE_LOCAL_MESSAGE(deleted)
TROUPE_LOCAL_MESSAGE(counted)
TROUPE_LOCAL_MESSAGE(agent_removed)
TROUPE_LOCAL_MESSAGE(session_removed)
TROUPE_LOCAL_MESSAGE(load_session)
TROUPE_LOCAL_MESSAGE(find_continuation)
TROUPE_LOCAL_MESSAGE(continuation)
TROUPE_LOCAL_MESSAGE(find_response)
TROUPE_LOCAL_MESSAGE(response_found)
TROUPE_LOCAL_MESSAGE(find_item_session)
TROUPE_LOCAL_MESSAGE(item_session)
TROUPE_LOCAL_MESSAGE(get_items)
TROUPE_LOCAL_MESSAGE(item_list)
TROUPE_LOCAL_MESSAGE(get_session_row)
TROUPE_LOCAL_MESSAGE(session_row)
TROUPE_LOCAL_MESSAGE(find_turn_key)
TROUPE_LOCAL_MESSAGE(turn_key_found)
TROUPE_LOCAL_MESSAGE(fork_session)
TROUPE_LOCAL_MESSAGE(forked)
TROUPE_LOCAL_MESSAGE(delete_response)
TROUPE_LOCAL_MESSAGE(set_session_metadata)
TROUPE_LOCAL_MESSAGE(session_edit)
TROUPE_LOCAL_MESSAGE(edit_done)
TROUPE_LOCAL_MESSAGE(apply_edit)
TROUPE_LOCAL_MESSAGE(edit_applied)
TROUPE_LOCAL_MESSAGE(session_snapshot)
TROUPE_LOCAL_MESSAGE(store_turn)
TROUPE_LOCAL_MESSAGE(stored)
TROUPE_LOCAL_MESSAGE(claim_session)
TROUPE_LOCAL_MESSAGE(claimed)
TROUPE_LOCAL_MESSAGE(get_session)
TROUPE_LOCAL_MESSAGE(session_detail)
TROUPE_LOCAL_MESSAGE(list_sessions)
TROUPE_LOCAL_MESSAGE(session_list)
TROUPE_LOCAL_MESSAGE(delete_session)
TROUPE_LOCAL_MESSAGE(delete_agent_sessions)
TROUPE_LOCAL_MESSAGE(count_sessions)
TROUPE_LOCAL_MESSAGE(health_query)
TROUPE_LOCAL_MESSAGE(health_snapshot)
TROUPE_LOCAL_MESSAGE(sweep_idle)
TROUPE_LOCAL_MESSAGE(subscribe)
TROUPE_LOCAL_MESSAGE(commit_pending)
