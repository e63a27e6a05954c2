#pragma once
// The Conversations API's JSON (conversations are Troupe sessions) and the
// item pages it shares with GET /v1/responses/{id}/input_items.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/chat/session_info.hpp"
#include "domain/openai/response_items.hpp"

namespace troupe::domain {

// POST /v1/conversations: up to 20 items, metadata (metadata.user_id: the owner).
struct conversation_create {
  message_list items;
  std::string metadata_json;  // empty: none
  std::string user_id;
};
conversation_create parse_conversation_create(std::string_view body);
// POST /v1/conversations/{id}/items: {"items": [...]}.
message_list parse_conversation_items(std::string_view body);
// POST /v1/conversations/{id}: {"metadata": {...}}; returns the metadata JSON.
std::string parse_conversation_update(std::string_view body);

std::string encode_conversation(const session_info& s);
std::string encode_conversation_deleted(const std::string& id);

// ?after=&limit=&order= of item lists.
struct item_page_query {
  std::string after;
  std::int64_t limit = 20;
  bool ascending = false;  // OpenAI's default order is desc
};
item_page_query parse_item_page(std::string_view after, std::string_view limit,
                                std::string_view order);
// {"object":"list","data":[…],"first_id","last_id","has_more"}; 400 for an
// `after` that is not an item of the list.
std::string encode_item_page(const std::vector<std::string>& item_jsons, const item_page_query& q);

// The id of an item's JSON ({"id": …}).
std::string item_id_of(const std::string& item_json);

}  // namespace troupe::domain
