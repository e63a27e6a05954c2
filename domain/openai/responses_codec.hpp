#pragma once
// The Responses API's response object, and the reply encoder that streams
// its typed events (response.created … response.completed, each with its
// sequence_number) or answers it whole.
#include <memory>
#include <string>
#include <vector>

#include "domain/chat/completion.hpp"
#include "domain/chat/stored_items.hpp"
#include "domain/openai/reply_encoder.hpp"
#include "domain/openai/response_spec.hpp"

namespace troupe::domain {

struct response_state {
  std::string status = "completed";  // in_progress | completed | incomplete | failed
  const completion_result* result = nullptr;  // null: no output yet
  const api_error* error = nullptr;           // failed
  // Output item ids in the order a stream announced them (else message, then calls).
  std::vector<std::string> order;
};

// "completed", or "incomplete" when the model stopped at a limit.
std::string response_status(const completion_result& r);

std::string encode_response(const response_spec& spec, const response_state& state);

// The output items of a result, as stored items: the reply message (id
// spec.message_item_id), whose calls are the function_call items.
stored_item reply_item(const response_spec& spec, const chat_message& reply);

// What a stored Responses turn writes beside its messages: an item id per
// message (new ones for the input, the spec's for the reply) and the response
// record (its object, its input items, its output item ids).
struct response_storage {
  std::vector<std::string> item_ids;
  response_record record;
};
// `added`: the messages the turn stores: the request's input first
// ([0, inputs_end)), then the agent's own tool calls and results, and the
// reply at `reply_at` (last, unless it also called the agent's tools);
// `end_count`: the session's message count once they are stored.
struct stored_turn_layout {
  std::size_t inputs_end = 0;
  std::size_t reply_at = 0;
};
response_storage store_response(const response_spec& spec, const completion_result& r,
                                const message_list& added, stored_turn_layout layout,
                                const std::string& session_id, const std::string& user_id,
                                std::int64_t end_count, std::int64_t now_ms);

std::unique_ptr<reply_encoder> responses_reply_encoder(std::shared_ptr<const response_spec> spec);

}  // namespace troupe::domain
