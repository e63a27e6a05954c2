#include "storage/sqlite_agent_store.hpp"

namespace troupe::storage {

namespace {

domain::agent_config decode(const std::string& body) {
  try {
    return domain::decode_agent(body);
  } catch (const std::runtime_error& e) {
    throw storage_error(std::string("damaged agent record: ") + e.what());
  }
}

}  // namespace

sqlite_agent_store::sqlite_agent_store(const std::string& path) : db_(path) {}

std::optional<std::string> sqlite_agent_store::owner_of_name(const std::string& name) const {
  auto q = db_.prepare("SELECT id FROM agents WHERE name = ?;");
  if (!q.bind(1, name).step()) return std::nullopt;
  auto id = q.text(0);
  q.reset();
  return id;
}

write_status sqlite_agent_store::insert(const domain::agent_config& a) {
  if (get(a.id)) return write_status::duplicate_id;
  if (owner_of_name(a.name)) return write_status::duplicate_name;
  db_.prepare("INSERT INTO agents (id, name, template_id, status, body) VALUES (?, ?, ?, ?, ?);")
      .bind(1, a.id)
      .bind(2, a.name)
      .bind(3, a.template_id)
      .bind(4, domain::to_string(a.status))
      .bind(5, domain::encode_agent(a))
      .run();
  return write_status::ok;
}

write_status sqlite_agent_store::update(const domain::agent_config& a) {
  if (!get(a.id)) return write_status::not_found;
  auto owner = owner_of_name(a.name);
  if (owner && *owner != a.id) return write_status::duplicate_name;
  db_.prepare("UPDATE agents SET name = ?, template_id = ?, status = ?, body = ? WHERE id = ?;")
      .bind(1, a.name)
      .bind(2, a.template_id)
      .bind(3, domain::to_string(a.status))
      .bind(4, domain::encode_agent(a))
      .bind(5, a.id)
      .run();
  return write_status::ok;
}

bool sqlite_agent_store::remove(const std::string& id) {
  if (!get(id)) return false;
  db_.prepare("DELETE FROM agents WHERE id = ?;").bind(1, id).run();
  return true;
}

std::optional<domain::agent_config> sqlite_agent_store::get(const std::string& id) const {
  auto q = db_.prepare("SELECT body FROM agents WHERE id = ?;");
  if (!q.bind(1, id).step()) return std::nullopt;
  auto body = q.text(0);
  q.reset();
  return decode(body);
}

std::vector<domain::agent_config> sqlite_agent_store::list(const domain::agent_query& q) const {
  std::vector<domain::agent_config> out;
  auto s = db_.prepare(
      "SELECT body FROM agents WHERE (?1 = '' OR template_id = ?1) AND (?2 = 0 OR status = 'active') "
      "ORDER BY seq LIMIT ?3 OFFSET ?4;");
  s.bind(1, q.template_id)
      .bind(2, std::int64_t{q.active_only})
      .bind(3, q.limit)
      .bind(4, q.offset);
  while (s.step()) out.push_back(decode(s.text(0)));
  return out;
}

std::size_t sqlite_agent_store::count() const {
  auto q = db_.prepare("SELECT COUNT(*) FROM agents;");
  auto n = q.step() ? static_cast<std::size_t>(q.integer(0)) : 0;
  q.reset();
  return n;
}

}  // namespace troupe::storage
