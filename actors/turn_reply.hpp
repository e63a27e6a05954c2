#pragma once
// The reply of one turn, written once: a whole reply, or a stream of events
// (in the format of the API the client used, see domain/openai/reply_encoder).
// Shared by the actors of the turn (the provider writes deltas, the session
// finishes it, the scheduler fails it if the session dies); whoever comes
// first after the end is ignored.
#include <memory>
#include <mutex>
#include <string_view>

#include "actors/reply_sink.hpp"
#include "domain/openai/reply_encoder.hpp"

namespace troupe::actors {

// What a provider answered: every choice, usage, and who served it.
struct llm_result : domain::completion_result {
  std::string provider;
};

class turn_reply {
 public:
  turn_reply(sink_ptr sink, std::unique_ptr<domain::reply_encoder> encoder,
             const std::string& session_id, bool stream, bool include_usage);
  // A turn that nobody finished (its actor died with it queued) still answers.
  ~turn_reply();

  turn_reply(const turn_reply&) = delete;
  turn_reply& operator=(const turn_reply&) = delete;

  bool streaming() const { return stream_; }
  bool client_gone() const { return sink_->client_gone(); }
  bool finished() const;

  // The turn continues another session than the request named (before any output).
  void set_session(const std::string& id);
  // Text that goes in front of choice 0's content, once it has content.
  void set_content_prefix(std::string prefix);

  // Stream only: a content delta of a choice.
  void delta(std::string_view text, int index = 0);
  // Stream only: an upstream delta, relayed as it is (tool call fragments,
  // refusal, logprobs, extension fields).
  void relay(const domain::stream_piece& piece);
  void complete(const llm_result& r);
  void fail(const domain::api_error& e);

 private:
  // Sends the content prefix before choice 0's first text.
  std::string prefix_locked(int index);

  mutable std::mutex mu_;
  sink_ptr sink_;
  std::unique_ptr<domain::reply_encoder> enc_;
  bool stream_;
  bool include_usage_;
  std::string prefix_;  // still to send before choice 0's first content
  bool finished_ = false;
};

// A chat completions reply.
std::shared_ptr<turn_reply> chat_turn_reply(sink_ptr sink, domain::completion_meta meta,
                                            bool stream, bool include_usage);

}  // namespace troupe::actors
