#pragma once
// The owner's side of a forwarded turn: a reply_sink whose writes go back to
// the first node's reply companion as numbered reply_piece messages.
#include <mutex>

#include "actors/cluster/cluster_messages.hpp"
#include "actors/reply_sink.hpp"

namespace troupe::actors {

class remote_sink final : public reply_sink {
 public:
  remote_sink(caf::actor reply_to, std::uint64_t turn) : reply_to_(std::move(reply_to)), turn_(turn) {}

  void send(int status, std::string json_body) override { send_with_headers(status, std::move(json_body), {}); }
  void send_with_headers(int status, std::string json_body, const header_list& headers) override;
  void send_empty(int status) override;
  void stream(std::string events) override;
  void end_stream(std::string last_events) override;
  // The first node's client is not watched from here (a turn whose client
  // left still completes and is stored).
  bool client_gone() const override { return false; }
  void set_session(const std::string&) override {}
  void add_header(std::string name, std::string value) override;

 private:
  // Sends under the lock: pieces leave in the order of their numbers.
  void put(reply_piece::kind_t kind, int status, std::string body, const header_list* more);

  std::mutex mu_;
  caf::actor reply_to_;
  std::uint64_t turn_;
  std::uint64_t seq_ = 0;
  header_list headers_;  // go with the first piece
  bool finished_ = false;
};

}  // namespace troupe::actors
