#pragma once
// The scheduler's table of live session actors, in least-recently-used
// order, with the number of turns each is running. It decides which sessions
// may sleep (passivate): only idle ones, the least recently used first.
#include <chrono>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/messages.hpp"

namespace troupe::actors::detail {

class live_sessions {
 public:
  using clock = std::chrono::steady_clock;

  struct entry {
    session_actor actor;
    std::string agent_id;
    int inflight = 0;  // turns routed to it and not yet done
    clock::time_point last_used;
    std::list<std::string>::iterator lru;
  };

  entry* find(const std::string& id);
  entry& add(const std::string& id, session_actor actor, std::string agent_id, clock::time_point now);
  void erase(const std::string& id);

  // A turn was routed to / came back from `id`'s actor; a turn of an actor
  // that was replaced meanwhile is ignored.
  void turn_started(entry& e, clock::time_point now);
  void turn_ended(const std::string& id, const caf::actor_addr& actor, clock::time_point now);

  // Idle sessions to stop so that the table holds at most `cap` after one more is added.
  std::vector<std::string> over_cap(std::size_t cap) const;
  // Idle sessions not used since `before`.
  std::vector<std::string> idle_since(clock::time_point before) const;
  std::vector<std::string> of_agent(const std::string& agent_id) const;
  std::vector<std::string> ids() const { return {lru_.begin(), lru_.end()}; }

  std::size_t size() const { return by_id_.size(); }

 private:
  void touch(entry& e, clock::time_point now);

  std::unordered_map<std::string, entry> by_id_;
  std::list<std::string> lru_;  // front: least recently used
};

}  // namespace troupe::actors::detail
