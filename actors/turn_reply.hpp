#pragma once
// The reply of one chat turn, written once: either a whole chat.completion,
// or a stream of chunks ending in [DONE]. Shared by the actors of the turn
// (the provider writes deltas, the session finishes it, the scheduler fails
// it if the session dies); whoever comes first after the end is ignored.
#include <mutex>
#include <string_view>

#include "actors/reply_sink.hpp"
#include "domain/openai/completion_codec.hpp"

namespace troupe::actors {

struct llm_result {
  std::string content;
  std::string finish_reason = "stop";
  domain::usage usage;
  std::string provider;
};

class turn_reply {
 public:
  turn_reply(sink_ptr sink, domain::completion_meta meta, bool stream, bool include_usage);
  // A turn that nobody finished (its actor died with it queued) still answers.
  ~turn_reply();

  turn_reply(const turn_reply&) = delete;
  turn_reply& operator=(const turn_reply&) = delete;

  const domain::completion_meta& meta() const { return meta_; }
  bool streaming() const { return stream_; }
  bool client_gone() const { return sink_->client_gone(); }
  bool finished() const;

  // Stream only: one content delta; the first opens the stream with the role chunk.
  void delta(std::string_view text);
  void complete(const llm_result& r);
  void fail(const domain::api_error& e);

 private:
  void open_locked();

  mutable std::mutex mu_;
  sink_ptr sink_;
  domain::completion_meta meta_;
  bool stream_;
  bool include_usage_;
  bool opened_ = false;
  bool finished_ = false;
};

}  // namespace troupe::actors
