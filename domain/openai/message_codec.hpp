#pragma once
// Chat messages in OpenAI's wire format, both ways: a request's `messages`
// (validated, legacy `function` messages and `function_call` mapped to their
// tool equivalents) and the JSON written upstream, to storage and to clients.
#include <string>
#include <string_view>

#include "domain/chat/chat_message.hpp"
#include "domain/core/json.hpp"

namespace troupe::domain {

using json_writer = json_writer_t;

// A request's messages array. Throws api_error: 422 for a wrong shape, 400
// for a bad value (each naming the field, e.g. "messages[2].tool_call_id").
message_list read_messages(const json_value& array, std::string_view param = "messages");

// One message object (storage reads back what encode_message wrote).
chat_message read_message(const json_value& v, const std::string& param);

// The members of a message object (role, content, name, tool_calls,
// tool_call_id, refusal, then unmodelled fields), without the braces.
void write_message_members(json_writer& w, const chat_message& m);
void write_message(json_writer& w, const chat_message& m);

// Storage form of a message that is not plain(): the whole wire object.
std::string encode_message(const chat_message& m);
// Throws std::runtime_error when `json` is not a stored message.
chat_message decode_message(std::string_view json);

// Tool and function names: ^[a-zA-Z0-9_-]{1,64}$.
bool valid_function_name(std::string_view name);

}  // namespace troupe::domain
