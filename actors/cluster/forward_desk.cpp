#include "actors/cluster/forward_desk.hpp"

#include <vector>

#include "domain/core/json.hpp"

namespace troupe::actors {

domain::api_error owner_lost(const std::string& why) {
  auto e = domain::service_unavailable(why + "; retry");
  e.retry_after_s = 1;
  return e;
}

std::uint64_t forward_desk::open(sink_ptr sink, std::string owner, clock::time_point deadline) {
  std::lock_guard<std::mutex> guard{mu_};
  auto n = next_turn_++;
  turns_.emplace(n, entry{std::move(sink), std::move(owner), deadline, 0, {}, false});
  return n;
}

bool forward_desk::write(entry& e, reply_piece& p) {
  for (std::size_t i = 0; i + 1 < p.headers.size(); i += 2)
    e.sink->add_header(std::move(p.headers[i]), std::move(p.headers[i + 1]));
  switch (p.kind) {
    case reply_piece::chunk:
      e.streaming = true;
      e.sink->stream(std::move(p.body));
      return false;
    case reply_piece::last:
      e.sink->end_stream(std::move(p.body));
      return true;
    case reply_piece::empty:
      e.sink->send_empty(p.status);
      return true;
    default:
      e.sink->send(p.status, std::move(p.body));
      return true;
  }
}

void forward_desk::give_up(entry& e, const domain::api_error& err) {
  if (e.streaming)
    e.sink->end_stream("data: " + domain::encode_error(err) + "\n\ndata: [DONE]\n\n");
  else
    send_error(*e.sink, err);
}

void forward_desk::piece(reply_piece& p) {
  std::lock_guard<std::mutex> guard{mu_};
  auto it = turns_.find(p.turn);
  if (it == turns_.end()) return;  // answered already (lost owner, timeout)
  auto& e = it->second;
  if (p.seq != e.next) {
    e.early.emplace(p.seq, std::move(p));
    return;
  }
  bool ended = write(e, p);
  ++e.next;
  for (auto q = e.early.find(e.next); !ended && q != e.early.end(); q = e.early.find(e.next)) {
    auto next = std::move(q->second);
    e.early.erase(q);
    ended = write(e, next);
    ++e.next;
  }
  if (ended) turns_.erase(it);
}

void forward_desk::fail(std::uint64_t turn, const domain::api_error& err) {
  std::lock_guard<std::mutex> guard{mu_};
  auto it = turns_.find(turn);
  if (it == turns_.end()) return;
  give_up(it->second, err);
  turns_.erase(it);
}

void forward_desk::fail_owner(const std::string& owner, const domain::api_error& err) {
  std::lock_guard<std::mutex> guard{mu_};
  for (auto it = turns_.begin(); it != turns_.end();) {
    if (it->second.owner != owner) {
      ++it;
      continue;
    }
    give_up(it->second, err);
    it = turns_.erase(it);
  }
}

void forward_desk::expire(clock::time_point now, const domain::api_error& err) {
  std::lock_guard<std::mutex> guard{mu_};
  for (auto it = turns_.begin(); it != turns_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    give_up(it->second, err);
    it = turns_.erase(it);
  }
}

std::size_t forward_desk::size() const {
  std::lock_guard<std::mutex> guard{mu_};
  return turns_.size();
}

caf::actor peer_directory::find(const std::string& node_id) const {
  std::lock_guard<std::mutex> guard{mu_};
  auto it = peers_.find(node_id);
  return it == peers_.end() ? caf::actor() : it->second;
}

void peer_directory::set(const std::string& node_id, caf::actor peer) {
  std::lock_guard<std::mutex> guard{mu_};
  peers_[node_id] = std::move(peer);
}

void peer_directory::erase(const std::string& node_id) {
  std::lock_guard<std::mutex> guard{mu_};
  peers_.erase(node_id);
}

}  // namespace troupe::actors
