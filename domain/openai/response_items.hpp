#pragma once
// Items of the Responses and Conversations APIs, both ways: a request's
// `input` (messages, function calls, their outputs, references to stored
// items) as chat messages, and stored messages as items with their ids.
#include <string>
#include <string_view>
#include <vector>

#include "domain/chat/stored_items.hpp"
#include "domain/core/json.hpp"

namespace troupe::domain {

// One entry of an `input`, before references are resolved.
struct input_piece {
  enum class kind { message, function_call, function_call_output, reference };
  kind k = kind::message;
  chat_message message;  // message; function_call_output as a tool message
  tool_call call;        // function_call
  std::string reference;  // item_reference: a stored item's id
  std::string param;      // "input[3]", for errors
};

// A string, or an array of items. Throws api_error (422 shape, 400 value)
// naming the field ("input[2].call_id").
std::vector<input_piece> read_input(const json_value& input, std::string_view param = "input");

// The item ids the pieces refer to.
std::vector<std::string> references_of(const std::vector<input_piece>& pieces);

// The pieces as chat messages: references replaced by the stored items they
// name (`stored`; 400 for one that is not there), function calls joined into
// the assistant message they follow (OpenAI's chat form).
message_list assemble_input(const std::vector<input_piece>& pieces,
                            const std::vector<stored_item>& stored);

// The items a stored message is: a message item (unless it only calls tools),
// one function_call item per tool call, a function_call_output for a tool result.
void write_items(json_writer_t& w, const stored_item& item);
// All items of `stored` in order, as a JSON array's elements (no brackets).
std::vector<std::string> item_jsons(const std::vector<stored_item>& stored);

// Finds the item `id` among the stored messages (a message, or a function call in one).
const stored_item* find_item(const std::vector<stored_item>& stored, std::string_view id);

// New item ids for messages a turn stores ("msg_…", "fco_…" for tool results).
std::string new_item_id(role r);

}  // namespace troupe::domain
