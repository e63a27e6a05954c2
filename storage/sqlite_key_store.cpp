#include "storage/sqlite_key_store.hpp"

#include "domain/keys/key_codec.hpp"

namespace troupe::storage {

namespace {

domain::api_key decode(const std::string& body) {
  try {
    return domain::decode_key_record(body);
  } catch (const std::runtime_error& e) {
    throw storage_error(std::string("damaged key record: ") + e.what());
  }
}

}  // namespace

sqlite_key_store::sqlite_key_store(const std::string& path) : db_(path) {}

bool sqlite_key_store::insert(const domain::api_key& k) {
  auto q = db_.prepare("SELECT 1 FROM api_keys WHERE id = ? OR hash = ?;");
  if (q.bind(1, k.id).bind(2, k.hash).step()) return false;
  q.reset();
  db_.prepare("INSERT INTO api_keys (id, hash, user_id, body) VALUES (?, ?, ?, ?);")
      .bind(1, k.id)
      .bind(2, k.hash)
      .bind(3, k.user_id)
      .bind(4, domain::encode_key_record(k))
      .run();
  return true;
}

bool sqlite_key_store::update(const domain::api_key& k) {
  db_.prepare("UPDATE api_keys SET body = ? WHERE id = ?;")
      .bind(1, domain::encode_key_record(k))
      .bind(2, k.id)
      .run();
  return db_.changes() > 0;
}

bool sqlite_key_store::remove(const std::string& id) {
  db_.prepare("DELETE FROM api_keys WHERE id = ?;").bind(1, id).run();
  return db_.changes() > 0;
}

std::optional<domain::api_key> sqlite_key_store::get(const std::string& id) const {
  auto q = db_.prepare("SELECT body FROM api_keys WHERE id = ?;");
  if (!q.bind(1, id).step()) return std::nullopt;
  auto body = q.text(0);
  q.reset();
  return decode(body);
}

std::vector<domain::api_key> sqlite_key_store::list(const domain::key_query& q) const {
  std::vector<domain::api_key> out;
  auto s = db_.prepare(
      "SELECT body FROM api_keys WHERE (?1 = '' OR user_id = ?1) ORDER BY seq LIMIT ?2 OFFSET ?3;");
  s.bind(1, q.user_id).bind(2, q.limit).bind(3, q.offset);
  while (s.step()) out.push_back(decode(s.text(0)));
  return out;
}

}  // namespace troupe::storage
