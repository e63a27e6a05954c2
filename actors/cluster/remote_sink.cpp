#include "actors/cluster/remote_sink.hpp"

namespace troupe::actors {

void remote_sink::put(reply_piece::kind_t kind, int status, std::string body,
                      const header_list* more) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_) return;
  finished_ = kind != reply_piece::chunk;
  reply_piece p;
  p.turn = turn_;
  p.seq = seq_++;
  p.kind = kind;
  p.status = status;
  p.body = std::move(body);
  auto add = [&](const header_list& hs) {
    for (auto& [k, v] : hs) {
      p.headers.push_back(k);
      p.headers.push_back(v);
    }
  };
  add(headers_);
  headers_.clear();
  if (more) add(*more);
  caf::anon_send(reply_to_, std::move(p));
}

void remote_sink::send_with_headers(int status, std::string json_body, const header_list& headers) {
  put(reply_piece::whole, status, std::move(json_body), &headers);
}

void remote_sink::send_empty(int status) { put(reply_piece::empty, status, {}, nullptr); }

void remote_sink::stream(std::string events) { put(reply_piece::chunk, 200, std::move(events), nullptr); }

void remote_sink::end_stream(std::string last_events) {
  put(reply_piece::last, 200, std::move(last_events), nullptr);
}

void remote_sink::add_header(std::string name, std::string value) {
  std::lock_guard<std::mutex> guard{mu_};
  headers_.emplace_back(std::move(name), std::move(value));
}

}  // namespace troupe::actors
