#pragma once
// The OpenAI wire format of chat completion replies: one JSON object for a
// non-stream reply, Server-Sent Events chunks for a stream.
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/chat/completion.hpp"
#include "domain/core/api_error.hpp"
#include "domain/core/json.hpp"

namespace troupe::domain {

// What every reply (and every chunk of a stream) carries.
struct completion_meta {
  std::string id;  // chatcmpl-…
  std::int64_t created = 0;  // seconds
  std::string model;  // the agent id
  std::string session_id;
  std::string user_id;
  std::string message_id;
  std::string provider;  // which provider served the turn
  std::string system_fingerprint;  // the upstream's, once known
  // The client asked with legacy `functions`: tool calls go back as `function_call`.
  bool legacy_functions = false;
  std::string node_id;  // the cluster node that ran the turn ("" on a node of its own)
};

completion_meta make_completion_meta(std::string model, std::string session_id,
                                     std::string user_id);

std::string encode_completion(const completion_meta& m, const completion_result& r);

// One delta of an upstream stream, relayed as it arrives.
struct stream_piece {
  int index = 0;  // the choice
  const json_value* delta = nullptr;  // the upstream's delta object (role and empty content skipped)
  const json_value* logprobs = nullptr;  // the choice's logprobs, if any
  std::string_view system_fingerprint;    // the chunk's, if any
};
// Whether a piece carries anything worth a chunk.
bool worth_relaying(const stream_piece& p);

// A delta object with one tool call fragment: the call at `slot`, its id and
// name when `head` is given (the first fragment), and a piece of its arguments.
std::string tool_call_delta(std::size_t slot, const tool_call* head, std::string_view arguments);

// Each returns a complete SSE event: "data: {...}\n\n".
std::string sse_role_chunk(const completion_meta& m, int index = 0);
std::string sse_content_chunk(const completion_meta& m, std::string_view text, int index = 0);
// A content chunk cut around its text: a stream's deltas differ only there,
// so the rest is encoded once per turn. `with(text)` equals sse_content_chunk.
struct content_chunk_frame {
  std::string head, tail;
  std::string with(std::string_view text) const;
};
content_chunk_frame sse_content_frame(const completion_meta& m, int index = 0);
std::string sse_piece_chunk(const completion_meta& m, const stream_piece& p);
// The finish reason of every choice.
std::string sse_finish_chunk(const completion_meta& m, const completion_result& r);
std::string sse_usage_chunk(const completion_meta& m, const completion_result& r);
std::string sse_error_chunk(const completion_meta& m, const api_error& e);
// Troupe's extension: a tool the agent runs, on a chunk with an empty delta
// (stock clients ignore it): "troupe_tool": {call_id, name, arguments,
// status running|done|error, duration_ms}.
std::string sse_tool_chunk(const completion_meta& m, const server_tool_call& c);
inline constexpr std::string_view sse_keepalive = ": ping\n\n";
inline constexpr std::string_view sse_done = "data: [DONE]\n\n";

// Word count, the test provider's token measure.
std::int64_t count_words(std::string_view text);
// count_words for chat_message::words (saturated).
std::int32_t words_of_text(std::string_view text);
// A message's words: counted once, or now.
inline std::int64_t words_of(const chat_message& m) { return m.words >= 0 ? m.words : count_words(m.content); }

}  // namespace troupe::domain
