#include "actors/detail/live_sessions.hpp"

namespace troupe::actors::detail {

live_sessions::entry* live_sessions::find(const std::string& id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

live_sessions::entry& live_sessions::add(const std::string& id, session_actor actor,
                                         std::string agent_id, clock::time_point now) {
  auto& e = by_id_[id];
  e.actor = std::move(actor);
  e.agent_id = std::move(agent_id);
  e.inflight = 0;
  e.last_used = now;
  e.lru = lru_.insert(lru_.end(), id);
  return e;
}

void live_sessions::erase(const std::string& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  lru_.erase(it->second.lru);
  by_id_.erase(it);
}

void live_sessions::touch(entry& e, clock::time_point now) {
  e.last_used = now;
  lru_.splice(lru_.end(), lru_, e.lru);
}

void live_sessions::turn_started(entry& e, clock::time_point now) {
  ++e.inflight;
  touch(e, now);
}

void live_sessions::turn_ended(const std::string& id, const caf::actor_addr& actor,
                               clock::time_point now) {
  auto* e = find(id);
  if (!e || e->actor.address() != actor) return;
  --e->inflight;
  touch(*e, now);
}

std::vector<std::string> live_sessions::over_cap(std::size_t cap) const {
  std::vector<std::string> out;
  if (by_id_.size() < cap) return out;
  auto excess = by_id_.size() - cap + 1;
  for (auto& id : lru_) {
    if (out.size() == excess) break;
    if (by_id_.at(id).inflight == 0) out.push_back(id);
  }
  return out;
}

std::vector<std::string> live_sessions::idle_since(clock::time_point before) const {
  std::vector<std::string> out;
  for (auto& id : lru_) {
    auto& e = by_id_.at(id);
    if (e.last_used > before) break;  // the rest were used later
    if (e.inflight == 0) out.push_back(id);
  }
  return out;
}

std::vector<std::string> live_sessions::of_agent(const std::string& agent_id) const {
  std::vector<std::string> out;
  for (auto& [id, e] : by_id_)
    if (e.agent_id == agent_id) out.push_back(id);
  return out;
}

}  // namespace troupe::actors::detail
