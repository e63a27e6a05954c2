// The Responses and Conversations side of the SQLite session store:
// responses by id, items with their ids, forks, metadata, item removal.
#include "domain/chat/conversation_hash.hpp"
#include "domain/openai/message_codec.hpp"
#include "storage/sqlite_session_store.hpp"

namespace troupe::storage {

using detail::read_message_row;
using detail::read_session_row;

void sqlite_session_store::write_response(const domain::response_record& r) {
  db_.prepare(
         "INSERT OR REPLACE INTO responses (id, session_id, user_id, end_count, created_at, body, "
         "input_items) VALUES (?, ?, ?, ?, ?, ?, ?);")
      .bind(1, r.id)
      .bind(2, r.session_id)
      .bind(3, r.user_id)
      .bind(4, r.end_count)
      .bind(5, r.created_at_ms)
      .bind(6, r.body)
      .bind(7, r.input_items)
      .run();
  auto item = db_.prepare("INSERT OR REPLACE INTO response_items (item_id, session_id) VALUES (?, ?);");
  for (auto& id : r.output_item_ids) {
    item.reset();
    item.bind(1, id).bind(2, r.session_id).run();
  }
}

std::optional<std::string> sqlite_session_store::session_of_item(const std::string& item_id) const {
  auto q = db_.prepare("SELECT session_id FROM response_items WHERE item_id = ?;");
  if (!q.bind(1, item_id).step()) return std::nullopt;
  return q.text(0);
}

std::optional<domain::response_record> sqlite_session_store::get_response(const std::string& id) const {
  auto q = db_.prepare(
      "SELECT id, session_id, user_id, end_count, created_at, body, input_items FROM responses "
      "WHERE id = ?;");
  if (!q.bind(1, id).step()) return std::nullopt;
  domain::response_record r;
  r.id = q.text(0);
  r.session_id = q.text(1);
  r.user_id = q.text(2);
  r.end_count = q.integer(3);
  r.created_at_ms = q.integer(4);
  r.body = q.text(5);
  r.input_items = q.text(6);
  return r;
}

bool sqlite_session_store::remove_response(const std::string& id) {
  sqlite_transaction tx{db_};
  db_.prepare("DELETE FROM responses WHERE id = ?;").bind(1, id).run();
  bool gone = sqlite3_changes(db_.handle()) > 0;
  tx.commit();
  return gone;
}

std::vector<domain::stored_item> sqlite_session_store::items(const std::string& session_id) const {
  std::vector<domain::stored_item> out;
  auto q = db_.prepare(
      "SELECT m.role, m.content, m.created_at, m.body, m.item_id, m.idx FROM sessions s JOIN "
      "messages m ON m.session_seq = s.seq WHERE s.id = ? ORDER BY m.idx;");
  q.bind(1, session_id);
  while (q.step()) {
    auto m = read_message_row(q, 0, 1, 2, 3);
    auto id = q.is_null(4) ? domain::derived_item_id(session_id, q.integer(5), m.role) : q.text(4);
    out.push_back({std::move(id), std::move(m)});
  }
  return out;
}

std::optional<domain::session_info> sqlite_session_store::fork(const std::string& from,
                                                               std::size_t count,
                                                               const std::string& new_id) {
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
  sqlite_transaction tx{db_};
  write_turn(t);
  tx.commit();
  ++count_;
  return get(new_id);
}

bool sqlite_session_store::set_metadata(const std::string& id, const std::string& metadata_json) {
  sqlite_transaction tx{db_};
  db_.prepare("UPDATE sessions SET metadata = ? WHERE id = ?;").bind(1, metadata_json).bind(2, id).run();
  bool found = sqlite3_changes(db_.handle()) > 0;
  tx.commit();
  return found;
}

domain::session_info sqlite_session_store::rehash(std::int64_t seq, const std::string& id) {
  domain::message_list all;
  {
    auto q = db_.prepare(
        "SELECT role, content, created_at, body FROM messages WHERE session_seq = ? ORDER BY idx;");
    q.bind(1, seq);
    while (q.step()) all.push_back(read_message_row(q, 0, 1, 2, 3));
  }
  db_.prepare("UPDATE sessions SET message_count = ?, conv_hash = ? WHERE seq = ?;")
      .bind(1, static_cast<std::int64_t>(all.size()))
      .bind(2, static_cast<std::int64_t>(domain::conversation_hash(all.begin(), all.end())))
      .bind(3, seq)
      .run();
  return *get(id);
}

std::optional<domain::session_info> sqlite_session_store::remove_item(const std::string& session_id,
                                                                      const std::string& item_id) {
  std::int64_t seq = 0;
  {
    auto q = db_.prepare("SELECT seq FROM sessions WHERE id = ?;");
    if (!q.bind(1, session_id).step()) return std::nullopt;
    seq = q.integer(0);
  }
  // The item's row: by stored id, by derived id, or as one call of an assistant message.
  std::optional<std::int64_t> idx;
  std::optional<std::optional<domain::chat_message>> rest;
  std::string row_id;
  {
    auto q = db_.prepare(
        "SELECT role, content, created_at, body, item_id, idx FROM messages WHERE session_seq = ? "
        "ORDER BY idx;");
    q.bind(1, seq);
    while (!idx && q.step()) {
      auto m = read_message_row(q, 0, 1, 2, 3);
      row_id = q.is_null(4) ? domain::derived_item_id(session_id, q.integer(5), m.role) : q.text(4);
      if (row_id == item_id || (rest = domain::without_call(m, row_id, item_id))) idx = q.integer(5);
    }
  }
  if (!idx) return std::nullopt;
  sqlite_transaction tx{db_};
  if (rest && *rest) {  // the message stays without that call, under the same id
    auto& m = **rest;
    db_.prepare("UPDATE messages SET content = ?, body = ?, item_id = ? WHERE session_seq = ? AND idx = ?;")
        .bind(1, m.content)
        .bind(2, domain::encode_message(m))
        .bind(3, row_id)
        .bind(4, seq)
        .bind(5, *idx)
        .run();
  } else {
    db_.prepare("DELETE FROM messages WHERE session_seq = ? AND idx = ?;").bind(1, seq).bind(2, *idx).run();
  }
  auto info = rehash(seq, session_id);
  tx.commit();
  return info;
}

}  // namespace troupe::storage
