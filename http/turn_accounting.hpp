#pragma once
// The hot path of a chat turn under a user key: who it speaks for, whether
// its limits admit it (429 with OpenAI's headers otherwise, before anything
// reaches the actors or the upstream), and the observer that, when the turn
// ends, gives back its parallel slot, spends its tokens, counts its usage
// and records its latencies.
#include <memory>

#include "actors/turn_reply.hpp"
#include "domain/openai/completion_request.hpp"
#include "http/caller.hpp"
#include "http/http_sink.hpp"

namespace troupe::http {

struct api_context;

// A user key's request acts as its user: metadata.user_id may be omitted,
// another one is 403; an agent the key may not use is 404 (as if absent).
void speak_as(const caller& who, domain::completion_request& req);

// Admits the turn under the caller's limits, adding the x-ratelimit-*
// headers to the sink; throws the 429 when a limit refuses it. Call last
// before the turn is handed on: an admitted turn must end through the
// returned observer.
std::shared_ptr<actors::turn_observer> admit_turn(const api_context& ctx, const caller& who,
                                                  actors::reply_sink& sink,
                                                  const domain::completion_request& req);

}  // namespace troupe::http
