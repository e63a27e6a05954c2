#pragma once
// What an OpenAI-compatible upstream answers: a chat.completion body, an
// error body, or a stream of chat.completion.chunk events. Parsing never
// trusts the upstream: anything unexpected is reported, not thrown past here.
#include <optional>
#include <string>
#include <string_view>

#include "domain/openai/completion_codec.hpp"
#include "domain/upstream/sse_parser.hpp"

namespace troupe::domain {

struct upstream_completion {
  std::string content;
  std::string finish_reason = "stop";
  std::optional<usage> tokens;  // absent when the upstream sent none
};

// A non-stream 2xx body; nullopt and `error` set when it is not one.
std::optional<upstream_completion> parse_upstream_completion(std::string_view body,
                                                             std::string& error);

// The message of an upstream error body ({"error":{"message"}}, {"error":"…"},
// {"message"} or {"detail"}), else the start of the raw text.
std::string upstream_error_message(std::string_view body);

// Decodes an upstream stream as its bytes arrive. Each content delta goes to
// the callback at once; the whole text, finish reason and usage add up here.
class upstream_stream_decoder {
 public:
  using on_delta = std::function<void(std::string_view text)>;
  enum class state { open, done, failed };

  // False once the stream is over: [DONE] seen, or failed (see error()).
  bool feed(std::string_view bytes, const on_delta& f);
  // The upstream closed the stream; true when it had completed.
  bool finish(const on_delta& f);

  state status() const { return state_; }
  bool upstream_reported() const { return upstream_reported_; }  // an error event, not garbage
  const std::string& error() const { return error_; }
  const upstream_completion& result() const { return result_; }
  bool started() const { return started_; }  // a content delta went out

 private:
  bool event(std::string_view data, const on_delta& f);
  bool fail(std::string why, bool reported = false);

  sse_parser sse_;
  upstream_completion result_;
  state state_ = state::open;
  bool saw_finish_ = false;
  bool started_ = false;
  bool upstream_reported_ = false;
  std::string error_;
};

}  // namespace troupe::domain
