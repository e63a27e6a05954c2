// The Responses and Conversations side of the PostgreSQL session store:
// responses by id, items with their ids, forks, metadata, item removal.
#include <algorithm>

#include "domain/chat/conversation_hash.hpp"
#include "domain/openai/message_codec.hpp"
#include "storage/postgres/pg_session_store.hpp"

namespace troupe::storage {

using pg_detail::read_message_row;
using pg_detail::read_session_row;

// The response and its output items in one statement. An item id listed
// twice is sent once (one statement cannot upsert a row twice); the row is
// the same either way.
pg_session_store::statement pg_session_store::response_statement(
    const domain::response_record& r) {
  std::vector<std::optional<std::string>> items;
  for (auto& id : r.output_item_ids)
    if (std::find(items.begin(), items.end(), id) == items.end()) items.emplace_back(id);
  return {statement::kind::response,
          "WITH r AS (INSERT INTO responses (id, session_id, user_id, end_count, created_at, body, "
          "input_items) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET "
          "session_id = excluded.session_id, user_id = excluded.user_id, end_count = "
          "excluded.end_count, created_at = excluded.created_at, body = excluded.body, "
          "input_items = excluded.input_items) "
          "INSERT INTO response_items (item_id, session_id) SELECT i, $2::text FROM "
          "unnest($8::text[]) AS i ON CONFLICT (item_id) DO UPDATE SET session_id = "
          "excluded.session_id;",
          {r.id, r.session_id, r.user_id, r.end_count, r.created_at_ms, r.body, r.input_items,
           pg_array(items)}};
}

std::optional<std::string> pg_session_store::session_of_item(const std::string& item_id) const {
  auto r = db_.query("SELECT session_id FROM response_items WHERE item_id = $1;", {item_id});
  if (r.empty()) return std::nullopt;
  return r.text(0, 0);
}

std::optional<domain::response_record> pg_session_store::get_response(const std::string& id) const {
  auto q = db_.query(
      "SELECT id, session_id, user_id, end_count, created_at, body, input_items FROM responses "
      "WHERE id = $1;",
      {id});
  if (q.empty()) return std::nullopt;
  domain::response_record r;
  r.id = q.text(0, 0);
  r.session_id = q.text(0, 1);
  r.user_id = q.text(0, 2);
  r.end_count = q.integer(0, 3);
  r.created_at_ms = q.integer(0, 4);
  r.body = q.text(0, 5);
  r.input_items = q.text(0, 6);
  return r;
}

bool pg_session_store::remove_response(const std::string& id) {
  return db_.query("DELETE FROM responses WHERE id = $1;", {id}).changed() > 0;
}

std::vector<domain::stored_item> pg_session_store::items(const std::string& session_id) const {
  std::vector<domain::stored_item> out;
  auto r = db_.query(
      "SELECT m.role, m.content, m.created_at, m.body, m.item_id, m.idx FROM sessions s JOIN "
      "messages m ON m.session_seq = s.seq WHERE s.id = $1 ORDER BY m.idx;",
      {session_id});
  for (int i = 0; i < r.rows(); ++i) {
    auto m = read_message_row(r, i, 0, 1, 2, 3);
    auto id = r.is_null(i, 4) ? domain::derived_item_id(session_id, r.integer(i, 5), m.role)
                              : r.text(i, 4);
    out.push_back({std::move(id), std::move(m)});
  }
  return out;
}

std::optional<domain::session_info> pg_session_store::fork(const std::string& from,
                                                           std::size_t count,
                                                           const std::string& new_id) {
  pg_transaction tx{db_};
  auto source = get(from);
  if (!source) return std::nullopt;
  auto kept = items(from);
  kept.resize(std::min(kept.size(), count));
  turn_write t;
  t.info = *source;
  t.info.id = new_id;
  t.info.message_count = 0;
  for (auto& item : kept) {
    t.messages.push_back(item.message);
    t.item_ids.push_back(item.id);
  }
  t.info.conv_hash = domain::conversation_hash(t.messages.begin(), t.messages.end());
  bool created = write_turn(t);
  auto out = get(new_id);
  tx.commit();
  count_ += created;
  return out;
}

bool pg_session_store::set_metadata(const std::string& id, const std::string& metadata_json) {
  return db_.query("UPDATE sessions SET metadata = $1 WHERE id = $2;", {metadata_json, id})
             .changed() > 0;
}

domain::session_info pg_session_store::rehash(std::int64_t seq, const std::string& id) {
  domain::message_list all;
  auto r = db_.query(
      "SELECT role, content, created_at, body FROM messages WHERE session_seq = $1 ORDER BY idx;",
      {seq});
  for (int i = 0; i < r.rows(); ++i) all.push_back(read_message_row(r, i, 0, 1, 2, 3));
  db_.query("UPDATE sessions SET message_count = $1, conv_hash = $2 WHERE seq = $3;",
            {all.size(),
             static_cast<std::int64_t>(domain::conversation_hash(all.begin(), all.end())), seq});
  return *get(id);
}

std::optional<domain::session_info> pg_session_store::remove_item(const std::string& session_id,
                                                                  const std::string& item_id) {
  pg_transaction tx{db_};
  auto found = db_.query("SELECT seq FROM sessions WHERE id = $1 FOR UPDATE;", {session_id});
  if (found.empty()) return std::nullopt;
  auto seq = found.integer(0, 0);
  // The item's row: by stored id, by derived id, or as one call of an assistant message.
  std::optional<std::int64_t> idx;
  std::optional<std::optional<domain::chat_message>> rest;
  std::string row_id;
  auto r = db_.query(
      "SELECT role, content, created_at, body, item_id, idx FROM messages WHERE session_seq = $1 "
      "ORDER BY idx;",
      {seq});
  for (int i = 0; !idx && i < r.rows(); ++i) {
    auto m = read_message_row(r, i, 0, 1, 2, 3);
    row_id = r.is_null(i, 4) ? domain::derived_item_id(session_id, r.integer(i, 5), m.role)
                             : r.text(i, 4);
    if (row_id == item_id || (rest = domain::without_call(m, row_id, item_id)))
      idx = r.integer(i, 5);
  }
  if (!idx) return std::nullopt;
  if (rest && *rest) {  // the message stays without that call, under the same id
    auto& m = **rest;
    bool has_nul = m.content.find('\0') != std::string::npos;
    db_.query(
        "UPDATE messages SET content = $1, body = $2, item_id = $3 WHERE session_seq = $4 AND "
        "idx = $5;",
        {has_nul ? std::string() : m.content, domain::encode_message(m), row_id, seq, *idx});
  } else {
    db_.query("DELETE FROM messages WHERE session_seq = $1 AND idx = $2;", {seq, *idx});
  }
  auto info = rehash(seq, session_id);
  tx.commit();
  return info;
}

}  // namespace troupe::storage
