#pragma once
// POST /v1/chat/completions, parsed and validated. Troupe reads what it acts
// on (model, messages, session metadata, sampling values for its own
// providers, tools, response_format, n, store) and keeps every field it does
// not interpret, in the order received, for an OpenAI-compatible upstream.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/chat/chat_message.hpp"
#include "domain/core/api_error.hpp"
#include "domain/openai/response_spec.hpp"

namespace troupe::domain {

struct sampling_params {
  std::optional<double> temperature, top_p, presence_penalty, frequency_penalty;
  std::optional<std::int64_t> max_tokens, seed;
  bool max_completion_tokens = false;  // the client named it so; forwarded under that name
  std::vector<std::string> stop;
  std::string user;
};

// A function tool the request offers.
struct tool_spec {
  std::string name;
  std::string parameters_json;  // JSON Schema; empty: none given
};

enum class tool_choice_mode { unset, automatic, none, required, named };
enum class reply_format { text, json_object, json_schema };

struct completion_request {
  std::string model;  // the agent id
  message_list messages;
  sampling_params params;
  bool stream = false;
  bool include_usage = false;
  std::string session_id;
  bool session_id_generated = false;  // no session_id given: a fresh conversation
  std::string user_id;
  bool store = true;  // false: answer without storing anything
  int n = 1;          // choices to generate; choice 0 is stored

  std::vector<tool_spec> tools;  // function tools (legacy `functions` included)
  tool_choice_mode tool_choice = tool_choice_mode::unset;
  std::string tool_choice_name;  // tool_choice_mode::named
  bool legacy_functions = false;  // asked with `functions`: answer with `function_call`

  reply_format format = reply_format::text;
  std::string schema_json;  // reply_format::json_schema: its schema, if given

  // What goes upstream as the client sent it, in order: every top-level
  // field but model, messages, stream and stream_options (legacy
  // functions/function_call already as tools/tool_choice; metadata without
  // Troupe's own keys session_id, user_id and task_id).
  std::vector<raw_member> forward;
  // stream_options members other than include_usage.
  std::vector<raw_member> stream_options_forward;

  // A Responses API turn: what its response object echoes (null for chat).
  std::shared_ptr<const response_spec> response;

  // The client's Idempotency-Key header ("": none) and a hash of the body
  // it came with: a retry with the key is answered from the stored turn.
  std::string idempotency_key;
  std::string request_hash;

  bool has_forward(std::string_view key) const;
};

// Throws api_error: 400 (malformed JSON, bad values), 422 (wrong shape).
// Generates a session id when the request names none.
completion_request parse_completion_request(std::string_view body);

}  // namespace troupe::domain
