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

// The accounting of one turn (limits, usage, metrics): told when the turn
// starts running, when its first output goes out, and how it ended (before
// the client gets the answer). Each at most once.
class turn_observer {
 public:
  virtual ~turn_observer() = default;
  virtual void started() {}
  virtual void first_output() {}
  // `result`: a completed turn's answer; nullptr when it failed with `status`.
  virtual void ended(const llm_result* result, int status) = 0;
  // Instead of ended: the turn went to another node, which accounts for it.
  virtual void handed_off() {}
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
  std::string request_id() const { return sink_->request_id(); }

  // Set before the turn is handed to the actors.
  void observe(std::shared_ptr<turn_observer> o) { observer_ = std::move(o); }
  // The session takes the turn up (it waited in its queue until now).
  void mark_started();

  // The turn continues another session than the request named (before any output).
  void set_session(const std::string& id);
  // Text that goes in front of choice 0's content, once it has content.
  void set_content_prefix(std::string prefix);
  // Puts that prefix in front of the finished result's choice 0 text (a
  // reply of only tool calls has none, and gets none); counts its words.
  void apply_content_prefix(llm_result& r) const;

  // Stream only: a content delta of a choice.
  void delta(std::string_view text, int index = 0);
  // Stream only: an upstream delta, relayed as it is (tool call fragments,
  // refusal, logprobs, extension fields).
  void relay(const domain::stream_piece& piece);
  // The agent runs tools of its own in this turn: tool call fragments are
  // held back (the agent's calls are not the client's), and the calls the
  // client must run go out whole with the end of the turn.
  void hold_tool_calls();
  // Stream only: a tool the agent runs, as it starts and ends.
  void tool_activity(const domain::server_tool_call& call);
  // Stream only: a comment that keeps a quiet stream (a long tool run) alive.
  void keepalive();
  void complete(const llm_result& r);
  // The answer of a stored turn, for a retry with its idempotency key: the
  // whole reply, or a stream of it (its text in one delta, then the end).
  // Counted as a request; its tokens were counted the first time.
  void replay(const llm_result& r);
  void fail(const domain::api_error& e);
  // Cluster: the turn runs on the node that owns its session, which answers
  // the client through the sink itself; this reply writes nothing more.
  void hand_off();

 private:
  // Sends the content prefix before choice 0's first text.
  std::string prefix_locked(int index);
  void output_locked();
  void ended_locked(const llm_result* r, int status);

  mutable std::mutex mu_;
  sink_ptr sink_;
  std::unique_ptr<domain::reply_encoder> enc_;
  bool stream_;
  bool include_usage_;
  std::string prefix_;  // still to send before choice 0's first content
  std::string whole_prefix_;  // for the finished result
  bool finished_ = false;
  bool hold_calls_ = false;
  std::shared_ptr<turn_observer> observer_;
  bool started_ = false, output_ = false;
};

// A chat completions reply.
std::shared_ptr<turn_reply> chat_turn_reply(sink_ptr sink, domain::completion_meta meta,
                                            bool stream, bool include_usage);

}  // namespace troupe::actors
