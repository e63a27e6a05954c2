#pragma once
// What an OpenAI-compatible upstream answers: a chat.completion body, an
// error body, or a stream of chat.completion.chunk events. Parsing never
// trusts the upstream: anything unexpected is reported, not thrown past here.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/chat/completion.hpp"
#include "domain/openai/completion_codec.hpp"
#include "domain/upstream/sse_parser.hpp"

namespace troupe::domain {

// Bounds on what an upstream may ask Troupe to hold for one reply.
inline constexpr std::size_t max_tool_calls_per_reply = 128;
inline constexpr std::size_t max_choices_per_reply = 128;

// The slot of a tool call fragment that names no index: a fragment with an
// id opens the next call, one without continues the last (one rule for the
// decoder and every encoder that relays fragments).
std::size_t tool_call_slot(const json_value& fragment, std::size_t calls_so_far);

// A non-stream 2xx body with every choice; nullopt and `error` set when it is not one.
std::optional<completion_result> parse_upstream_completion(std::string_view body,
                                                           std::string& error);

// The message of an upstream error body ({"error":{"message"}}, {"error":"…"},
// {"message"} or {"detail"}), else the start of the raw text.
std::string upstream_error_message(std::string_view body);

// The message, and OpenAI's param and code when the body has them.
struct upstream_error_info {
  std::string message, param, code;
};
upstream_error_info parse_upstream_error(std::string_view body);

// Decodes an upstream stream as its bytes arrive. Each delta worth relaying
// goes to the callback at once (to be written to the client as it is); the
// choices' text, tool calls, finish reasons and the usage add up here.
class upstream_stream_decoder {
 public:
  using on_piece = std::function<void(const stream_piece& piece)>;
  enum class state { open, done, failed };

  // False once the stream is over: [DONE] seen, or failed (see error()).
  bool feed(std::string_view bytes, const on_piece& f);
  // The upstream closed the stream; true when it had completed.
  bool finish(const on_piece& f);

  state status() const { return state_; }
  bool upstream_reported() const { return upstream_reported_; }  // an error event, not garbage
  const std::string& error() const { return error_; }
  // The whole answer (complete once status() is done).
  completion_result result() const;
  bool started() const { return started_; }  // a delta went out

 private:
  // One choice as its deltas arrive.
  struct choice_sum {
    int index = 0;
    std::string content;
    bool has_content = false;
    std::optional<std::string> refusal;
    std::vector<tool_call> calls;
    std::string finish_reason;
    std::string logprobs_json;
  };

  bool event(std::string_view data, const on_piece& f);
  bool add_delta(choice_sum& c, const json_value& delta);
  choice_sum& choice(int index);
  bool fail(std::string why, bool reported = false);

  sse_parser sse_;
  std::vector<choice_sum> choices_;
  usage tokens_;
  std::string usage_json_;
  std::string system_fingerprint_;
  std::string service_tier_;
  state state_ = state::open;
  bool saw_finish_ = false;
  bool started_ = false;
  bool upstream_reported_ = false;
  std::string error_;
};

}  // namespace troupe::domain
