#include "domain/openai/conversations_codec.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "domain/core/json.hpp"
#include "domain/core/query_params.hpp"

namespace troupe::domain {

namespace {

constexpr std::size_t max_create_items = 20;

message_list items_of(const json_value& v, const char* param, std::size_t max) {
  get_array(v, param);
  if (v.Size() > max)
    throw bad_request(fmt::format("'{}' may hold at most {} items", param, max), param);
  return assemble_input(read_input(v, param), {});
}

std::string metadata_of(const json_value& v) {
  auto& m = get_object(v, "metadata");
  if (m.MemberCount() > 16) throw bad_request("'metadata' may hold at most 16 keys", "metadata");
  for (auto it = m.MemberBegin(); it != m.MemberEnd(); ++it)
    get_string(it->value, join_path("metadata", key_of(it)));
  return to_json_text(m);
}

}  // namespace

conversation_create parse_conversation_create(std::string_view body) {
  rapidjson::Document doc;
  parse_json_object(body.empty() ? std::string_view("{}") : body, doc);
  conversation_create out;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    auto key = key_of(it);
    if (it->value.IsNull()) continue;
    if (key == "items") {
      out.items = items_of(it->value, "items", max_create_items);
    } else if (key == "metadata") {
      out.metadata_json = metadata_of(it->value);
      auto u = it->value.FindMember("user_id");
      if (u != it->value.MemberEnd()) out.user_id = u->value.GetString();
    } else {
      throw unprocessable(fmt::format("unknown field '{}'", key), std::string(key));
    }
  }
  return out;
}

message_list parse_conversation_items(std::string_view body) {
  rapidjson::Document doc;
  parse_json_object(body, doc);
  auto it = doc.FindMember("items");
  if (it == doc.MemberEnd()) throw unprocessable("'items' is required", "items");
  auto out = items_of(it->value, "items", max_create_items);
  if (out.empty()) throw bad_request("'items' must not be empty", "items");
  return out;
}

std::string parse_conversation_update(std::string_view body) {
  rapidjson::Document doc;
  parse_json_object(body, doc);
  auto it = doc.FindMember("metadata");
  if (it == doc.MemberEnd()) throw unprocessable("'metadata' is required", "metadata");
  return metadata_of(it->value);
}

std::string encode_conversation(const session_info& s) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("id");
  write_string(w, s.id);
  w.Key("object");
  w.String("conversation");
  w.Key("created_at");
  w.Int64(s.created_at_ms / 1000);
  w.Key("metadata");
  write_raw(w, s.metadata_json.empty() ? "{}" : s.metadata_json);
  w.EndObject();
  return out.str();
}

std::string encode_conversation_deleted(const std::string& id) {
  json_out out;
  out.w.StartObject();
  out.w.Key("id");
  write_string(out.w, id);
  out.w.Key("object");
  out.w.String("conversation.deleted");
  out.w.Key("deleted");
  out.w.Bool(true);
  out.w.EndObject();
  return out.str();
}

item_page_query parse_item_page(std::string_view after, std::string_view limit,
                                std::string_view order) {
  item_page_query q;
  q.after = std::string(after);
  if (!limit.empty()) {
    q.limit = parse_limit(limit, "limit");
    if (q.limit > 100) throw bad_request("'limit' must be at most 100", "limit");
  }
  if (order == "asc") q.ascending = true;
  else if (!order.empty() && order != "desc")
    throw bad_request("'order' must be asc or desc", "order");
  return q;
}

std::string item_id_of(const std::string& item_json) {
  rapidjson::Document d;
  d.Parse(item_json.data(), item_json.size());
  auto it = d.IsObject() ? d.FindMember("id") : d.MemberEnd();
  return it != d.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

std::string encode_item_page(const std::vector<std::string>& items, const item_page_query& q) {
  std::vector<const std::string*> ordered;
  for (auto& i : items) ordered.push_back(&i);
  if (!q.ascending) std::reverse(ordered.begin(), ordered.end());
  std::size_t start = 0;
  if (!q.after.empty()) {
    auto at = std::find_if(ordered.begin(), ordered.end(),
                           [&](const std::string* i) { return item_id_of(*i) == q.after; });
    if (at == ordered.end())
      throw bad_request("'after' names no item of this list", "after");
    start = static_cast<std::size_t>(at - ordered.begin()) + 1;
  }
  auto end = std::min(ordered.size(), start + static_cast<std::size_t>(q.limit));
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("object");
  w.String("list");
  w.Key("data");
  w.StartArray();
  for (auto i = start; i < end; ++i) write_raw(w, *ordered[i]);
  w.EndArray();
  auto id_or_null = [&](const char* key, std::size_t i) {
    w.Key(key);
    if (start < end) write_string(w, item_id_of(*ordered[i]));
    else w.Null();
  };
  id_or_null("first_id", start);
  id_or_null("last_id", end - 1);
  w.Key("has_more");
  w.Bool(end < ordered.size());
  w.EndObject();
  return out.str();
}

}  // namespace troupe::domain
