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
#include "domain/agent_codec.hpp"
#include "domain/agent_config.hpp"
#include "domain/completion_request.hpp"
#include "domain/prompt.hpp"
#include "domain/service_codec.hpp"
#include "domain/session_info.hpp"

namespace troupe::actors {

// ---- a chat turn -----------------------------------------------------------

// HTTP → scheduler.
struct chat_turn {
  std::shared_ptr<const domain::completion_request> request;
  std::shared_ptr<turn_reply> reply;
};

// Session → scheduler when a turn is over.
struct turn_done {
  bool ok = false;
  bool agent_failed = false;  // the agent actor died with the turn: do not route to it again
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
  std::size_t new_begin = 0;
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

// Watchdog → session: the turn with this id ran out of time.
struct turn_expired {
  std::uint64_t turn = 0;
};

using session_actor = caf::typed_actor<caf::replies_to<session_turn>::with<turn_done>,
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

struct load_session { std::string id; };
struct session_snapshot {
  std::optional<domain::session_info> info;
  std::shared_ptr<domain::message_list> history;  // handed over to the session actor
};
struct store_turn {
  domain::session_info info;
  domain::message_list messages;
};
struct stored {};
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
    caf::replies_to<store_turn>::with<stored>,
    caf::replies_to<get_session>::with<session_detail>,
    caf::replies_to<list_sessions>::with<session_list>,
    caf::replies_to<delete_session>::with<deleted>,
    caf::replies_to<delete_agent_sessions>::with<counted>,
    caf::replies_to<count_sessions>::with<counted>,
    caf::reacts_to<subscribe>,
    caf::reacts_to<commit_pending>>;

// What a waking session needs: the session repository itself, or a reader
// with its own connection that does not wait behind the repository's commits.
using session_loader_actor = caf::typed_actor<caf::replies_to<load_session>::with<session_snapshot>>;

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
TROUPE_LOCAL_MESSAGE(session_snapshot)
TROUPE_LOCAL_MESSAGE(store_turn)
TROUPE_LOCAL_MESSAGE(stored)
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
