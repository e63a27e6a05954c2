#pragma once
// How one turn's reply is written in the API its client used: chat
// completions (chunks ending in [DONE]) or Responses (typed events). The turn
// (actors/turn_reply) decides when; an encoder decides the bytes and keeps
// what it must remember between events (open choices, items, a sequence).
// Not thread-safe: its turn_reply serializes the calls.
#include <memory>
#include <string>
#include <string_view>

#include "domain/chat/completion.hpp"
#include "domain/core/api_error.hpp"
#include "domain/openai/completion_codec.hpp"

namespace troupe::domain {

class reply_encoder {
 public:
  virtual ~reply_encoder() = default;

  // The turn runs in another session than the request named.
  virtual void set_session(const std::string& id) = 0;
  // A non-stream reply's body.
  virtual std::string whole(const completion_result& r, std::string_view provider) = 0;
  // Stream events for a content delta of a choice, for a relayed upstream
  // piece, for the end of a stored turn, for a failure once events went out.
  virtual std::string delta(std::string_view text, int index) = 0;
  virtual std::string piece(const stream_piece& p) = 0;
  virtual std::string finish(const completion_result& r, std::string_view provider,
                             bool include_usage) = 0;
  virtual std::string failure(const api_error& e) = 0;
  // A tool the agent runs (an extension chat clients ignore; none in Responses).
  virtual std::string tool_activity(const server_tool_call&) { return {}; }
  // The tool calls of the reply, whole, when their fragments were held back
  // (the agent ran tools of its own in the turn); before finish().
  virtual std::string held_calls(const completion_result&) { return {}; }
  // Whether any stream event went out (then a failure is an event, not a status).
  virtual bool opened() const = 0;
};

// Chat completions: Troupe's id, model and metadata on every chunk.
std::unique_ptr<reply_encoder> chat_reply_encoder(completion_meta meta);

}  // namespace troupe::domain
