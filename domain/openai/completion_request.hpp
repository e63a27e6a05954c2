#pragma once
// POST /v1/chat/completions, parsed and validated.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/api_error.hpp"
#include "domain/chat/chat_message.hpp"

namespace troupe::domain {

struct sampling_params {
  std::optional<double> temperature, top_p, presence_penalty, frequency_penalty;
  std::optional<std::int64_t> max_tokens, seed;
  bool max_completion_tokens = false;  // the client named it so; forwarded under that name
  std::vector<std::string> stop;
  std::string user;
};

struct completion_request {
  std::string model;  // the agent id
  message_list messages;
  sampling_params params;
  bool stream = false;
  bool include_usage = false;
  std::string session_id;
  bool session_id_generated = false;  // no session_id given: a fresh conversation
  std::string user_id;
};

// Throws api_error: 400 (malformed JSON, bad values), 422 (wrong shape).
// Generates a session id when the request names none.
completion_request parse_completion_request(std::string_view body);

}  // namespace troupe::domain
