#pragma once
// The first node's side of the turns it forwarded: each turn's client until
// the owner's reply is written. Shared by the HTTP threads (which open turns
// and send them to a linked owner themselves), the reply companion (which
// hands it the pieces in the middleman's thread) and the node actor (which
// watches the links and ticks): no actor, timer or monitor per turn.
// Thread-safe. Pieces are written in order (they may overtake one another); a turn whose owner
// is lost answers 503 (retry in 1 s), one past its deadline 504. Before the
// reply started that is a status; inside a stream, an error event.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "actors/cluster/cluster_messages.hpp"
#include "actors/reply_sink.hpp"
#include "domain/core/api_error.hpp"

namespace troupe::actors {

class forward_desk {
 public:
  using clock = std::chrono::steady_clock;

  // A turn on its way to node `owner`: its number, for forwarded_turn::turn.
  std::uint64_t open(sink_ptr sink, std::string owner, clock::time_point deadline);
  // A piece of a turn's reply (p.turn says which); unknown turns are ignored.
  void piece(reply_piece& p);
  void fail(std::uint64_t turn, const domain::api_error& e);
  // Every turn waiting for node `owner`.
  void fail_owner(const std::string& owner, const domain::api_error& e);
  // Every turn past its deadline at `now`.
  void expire(clock::time_point now, const domain::api_error& e);
  std::size_t size() const;

 private:
  struct entry {
    sink_ptr sink;
    std::string owner;
    clock::time_point deadline;
    std::uint64_t next = 0;  // the seq of the next piece to write
    std::map<std::uint64_t, reply_piece> early;  // pieces that overtook one another
    bool streaming = false;
  };
  // Writes p; true when it ended the reply.
  static bool write(entry& e, reply_piece& p);
  static void give_up(entry& e, const domain::api_error& err);

  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, entry> turns_;
  std::uint64_t next_turn_ = 1;
};

// The node actors of the members this node has a link to (node id → actor),
// as the node actor keeps them, for the HTTP threads. Thread-safe.
class peer_directory {
 public:
  caf::actor find(const std::string& node_id) const;
  void set(const std::string& node_id, caf::actor peer);
  void erase(const std::string& node_id);

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, caf::actor> peers_;
};

// A 503 for a turn whose owner is lost: retried, it runs on the next owner.
domain::api_error owner_lost(const std::string& why);

}  // namespace troupe::actors
