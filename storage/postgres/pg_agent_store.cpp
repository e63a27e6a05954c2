#include "storage/postgres/pg_agent_store.hpp"

#include "storage/postgres/pg_cluster_store.hpp"

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

pg_agent_store::pg_agent_store(const std::string& uri) : db_(uri) {
  count_ = static_cast<std::size_t>(db_.query("SELECT COUNT(*) FROM agents;").integer(0, 0));
}

std::size_t pg_agent_store::count() const {
  // Exact although other nodes write agents too; the last count answers
  // while the server is away (health then still says `degraded`).
  try {
    count_ = static_cast<std::size_t>(db_.query("SELECT COUNT(*) FROM agents;").integer(0, 0));
  } catch (const storage_error&) {
    if (db_.in_transaction()) throw;
  }
  return count_;
}

std::optional<std::string> pg_agent_store::owner_of_name(const std::string& name) const {
  auto r = db_.query("SELECT id FROM agents WHERE name = $1;", {name});
  if (r.empty()) return std::nullopt;
  return r.text(0, 0);
}

write_status pg_agent_store::insert(const domain::agent_config& a) {
  if (get(a.id)) return write_status::duplicate_id;
  if (owner_of_name(a.name)) return write_status::duplicate_name;
  // ON CONFLICT: another node may have taken the id or name meanwhile.
  pg_transaction tx{db_};
  auto r = db_.query(
      "INSERT INTO agents (id, name, template_id, status, body) VALUES ($1, $2, $3, $4, $5) "
      "ON CONFLICT DO NOTHING;",
      {a.id, a.name, a.template_id, domain::to_string(a.status), domain::encode_agent(a)});
  if (r.changed() > 0) {
    pg_detail::publish(db_, "agent", a.id);
    tx.commit();
    ++count_;
    return write_status::ok;
  }
  tx.commit();
  return get(a.id) ? write_status::duplicate_id : write_status::duplicate_name;
}

write_status pg_agent_store::update(const domain::agent_config& a) {
  if (!get(a.id)) return write_status::not_found;
  auto owner = owner_of_name(a.name);
  if (owner && *owner != a.id) return write_status::duplicate_name;
  pg_transaction tx{db_};
  auto r = db_.query(
      "UPDATE agents SET name = $1, template_id = $2, status = $3, body = $4 WHERE id = $5;",
      {a.name, a.template_id, domain::to_string(a.status), domain::encode_agent(a), a.id});
  if (r.changed() == 0) return write_status::not_found;
  pg_detail::publish(db_, "agent", a.id);
  tx.commit();
  return write_status::ok;
}

bool pg_agent_store::remove(const std::string& id) {
  pg_transaction tx{db_};
  bool gone = db_.query("DELETE FROM agents WHERE id = $1;", {id}).changed() > 0;
  if (!gone) return false;
  pg_detail::publish(db_, "agent", id);
  tx.commit();
  if (count_ > 0) --count_;
  return true;
}

std::optional<domain::agent_config> pg_agent_store::get(const std::string& id) const {
  auto r = db_.query("SELECT body FROM agents WHERE id = $1;", {id});
  if (r.empty()) return std::nullopt;
  return decode(r.text(0, 0));
}

std::vector<domain::agent_config> pg_agent_store::list(const domain::agent_query& q) const {
  std::vector<domain::agent_config> out;
  auto r = db_.query(
      "SELECT body FROM agents WHERE ($1::text = '' OR template_id = $1::text) "
      "AND ($2::bigint = 0 OR status = 'active') ORDER BY seq LIMIT $3 OFFSET $4;",
      {q.template_id, std::int64_t{q.active_only}, static_cast<std::int64_t>(q.limit),
       static_cast<std::int64_t>(q.offset)});
  for (int i = 0; i < r.rows(); ++i) out.push_back(decode(r.text(i, 0)));
  return out;
}

}  // namespace troupe::storage
