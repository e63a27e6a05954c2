#pragma once
// What the Responses and Conversations APIs keep beside a session's
// messages: the responses (by id, with the point in the session they end
// at) and a stable item id for every message.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/chat/chat_message.hpp"

namespace troupe::domain {

struct response_record {
  std::string id;  // resp_…
  std::string session_id;
  std::string user_id;
  std::int64_t end_count = 0;  // the session's message count once this response was stored
  std::int64_t created_at_ms = 0;
  std::string body;         // the response object, JSON
  std::string input_items;  // its input items, a JSON array
  std::vector<std::string> output_item_ids;  // found again by item_reference
};

// A stored message and its item id.
struct stored_item {
  std::string id;
  chat_message message;
};

// The item id of a message stored without one (chat turns, older databases):
// derived from its session and position, so it never changes.
std::string derived_item_id(std::string_view session_id, std::int64_t idx, role r);

// The item id of a function call: from its message's item id and its call
// id, so it stays put when other calls of the message go, and two messages
// that reuse a call id (legacy clients do) still give two items.
std::string function_call_item_id(std::string_view message_item_id, std::string_view call_id);

// Removing the function call item `item_id` from message `m`: nullopt when
// `m` has no such call; else what is left of `m` (nullopt inside when nothing
// is: no other call and no content, so the whole message goes).
std::optional<std::optional<chat_message>> without_call(const chat_message& m,
                                                        std::string_view message_item_id,
                                                        std::string_view item_id);

}  // namespace troupe::domain
