#include "actors/turn_deadlines.hpp"

namespace troupe::actors {

std::uint64_t turn_deadlines::start(session_actor session) {
  auto deadline = clock::now() + timeout_;
  std::lock_guard<std::mutex> guard{mu_};
  auto id = next_++;
  running_.emplace_hint(running_.end(), id, entry{deadline, std::move(session)});
  return id;
}

void turn_deadlines::stop(std::uint64_t turn) {
  std::lock_guard<std::mutex> guard{mu_};
  running_.erase(turn);
}

std::vector<turn_deadlines::expired_turn> turn_deadlines::expire(clock::time_point now) {
  std::vector<expired_turn> out;
  std::lock_guard<std::mutex> guard{mu_};
  auto it = running_.begin();
  while (it != running_.end() && it->second.deadline <= now) {
    out.push_back({it->first, std::move(it->second.session)});
    it = running_.erase(it);
  }
  return out;
}

std::size_t turn_deadlines::size() const {
  std::lock_guard<std::mutex> guard{mu_};
  return running_.size();
}

namespace {

caf::behavior turn_watchdog(caf::event_based_actor* self, std::shared_ptr<turn_deadlines> deadlines,
                            std::chrono::milliseconds tick) {
  return {
      caf::after(tick) >>
          [=] {
            for (auto& t : deadlines->expire(turn_deadlines::clock::now()))
              self->send(t.session, turn_expired{t.turn});
          },
  };
}

}  // namespace

caf::actor spawn_turn_watchdog(caf::actor_system& sys, std::shared_ptr<turn_deadlines> deadlines,
                               std::chrono::milliseconds tick) {
  return sys.spawn(turn_watchdog, std::move(deadlines), tick);
}

}  // namespace troupe::actors
