#pragma once
// The OpenAI wire format of chat completion replies: one JSON object for a
// non-stream reply, Server-Sent Events chunks for a stream.
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/core/api_error.hpp"

namespace troupe::domain {

struct usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total() const { return prompt_tokens + completion_tokens; }
};

// What every reply (and every chunk of a stream) carries.
struct completion_meta {
  std::string id;  // chatcmpl-…
  std::int64_t created = 0;  // seconds
  std::string model;  // the agent id
  std::string session_id;
  std::string user_id;
  std::string message_id;
  std::string provider;  // which provider served the turn
};

completion_meta make_completion_meta(std::string model, std::string session_id,
                                     std::string user_id);

std::string encode_completion(const completion_meta& m, std::string_view content,
                              std::string_view finish_reason, const usage& u);

// Each returns a complete SSE event: "data: {...}\n\n".
std::string sse_role_chunk(const completion_meta& m);
std::string sse_content_chunk(const completion_meta& m, std::string_view text);
std::string sse_finish_chunk(const completion_meta& m, std::string_view finish_reason);
std::string sse_usage_chunk(const completion_meta& m, const usage& u);
std::string sse_error_chunk(const completion_meta& m, const api_error& e);
inline constexpr std::string_view sse_done = "data: [DONE]\n\n";

// Word count, the test provider's token measure.
std::int64_t count_words(std::string_view text);

}  // namespace troupe::domain
