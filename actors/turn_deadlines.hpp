#pragma once
// Turn timeouts without a CAF timer per turn. CAF 0.17's clock wakes its own
// thread for every request timeout set or cancelled (two context switches
// per turn, measured); here a turn's deadline is one map insert and erase,
// and one watchdog actor checks the oldest deadlines a few times a second.
// Every turn has the same timeout, so registration order is deadline order.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "actors/messages.hpp"

namespace troupe::actors {

class turn_deadlines {
 public:
  using clock = std::chrono::steady_clock;

  explicit turn_deadlines(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  std::chrono::milliseconds timeout() const { return timeout_; }

  // Starts the clock for a turn of `session`; returns the turn's id.
  std::uint64_t start(session_actor session);
  // The turn ended in time (or otherwise): forget it.
  void stop(std::uint64_t turn);

  struct expired_turn {
    std::uint64_t turn;
    session_actor session;
  };
  // Removes and returns the turns whose deadline is at or before `now`.
  std::vector<expired_turn> expire(clock::time_point now);

  std::size_t size() const;

 private:
  struct entry {
    clock::time_point deadline;
    session_actor session;
  };
  std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::uint64_t next_ = 1;
  std::map<std::uint64_t, entry> running_;  // ordered by id == ordered by deadline
};

// Checks `deadlines` every `tick` and tells sessions about their expired turns.
caf::actor spawn_turn_watchdog(caf::actor_system& sys, std::shared_ptr<turn_deadlines> deadlines,
                               std::chrono::milliseconds tick);

}  // namespace troupe::actors
