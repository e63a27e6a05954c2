#include "actors/turn_reply.hpp"

#include <algorithm>

namespace troupe::actors {

void send_error(reply_sink& sink, const domain::api_error& e) {
  header_list headers;
  if (e.retry_after_s > 0) headers.emplace_back("Retry-After", std::to_string(e.retry_after_s));
  sink.send_with_headers(e.status, domain::encode_error(e), headers);
}

turn_reply::turn_reply(sink_ptr sink, domain::completion_meta meta, bool stream,
                       bool include_usage)
    : sink_(std::move(sink)), meta_(std::move(meta)), stream_(stream),
      include_usage_(include_usage) {
  sink_->set_session(meta_.session_id);
}

turn_reply::~turn_reply() {
  if (!finished_) fail(domain::internal_error("the turn ended without a reply"));
}

bool turn_reply::finished() const {
  std::lock_guard<std::mutex> guard{mu_};
  return finished_;
}

void turn_reply::set_session(const std::string& id) {
  std::lock_guard<std::mutex> guard{mu_};
  meta_.session_id = id;
  sink_->set_session(id);
}

void turn_reply::set_content_prefix(std::string prefix) {
  std::lock_guard<std::mutex> guard{mu_};
  prefix_ = std::move(prefix);
}

void turn_reply::mark_started() {
  std::lock_guard<std::mutex> guard{mu_};
  if (started_ || finished_) return;
  started_ = true;
  if (observer_) observer_->started();
}

void turn_reply::output_locked() {
  if (output_) return;
  output_ = true;
  if (observer_) observer_->first_output();
}

void turn_reply::ended_locked(const llm_result* r, int status) {
  if (observer_) observer_->ended(r, status);
}

void turn_reply::open_locked(int index) {
  if (std::find(opened_.begin(), opened_.end(), index) != opened_.end()) return;
  opened_.push_back(index);
  sink_->stream(domain::sse_role_chunk(meta_, index));
}

void turn_reply::prefix_locked(int index) {
  if (index != 0 || prefix_.empty()) return;
  sink_->stream(domain::sse_content_chunk(meta_, prefix_));
  prefix_.clear();
}

void turn_reply::delta(std::string_view text, int index) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_ || !stream_ || text.empty()) return;
  output_locked();
  open_locked(index);
  prefix_locked(index);
  sink_->stream(domain::sse_content_chunk(meta_, text, index));
}

void turn_reply::relay(const domain::stream_piece& piece) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_ || !stream_) return;
  output_locked();
  if (meta_.system_fingerprint.empty() && !piece.system_fingerprint.empty())
    meta_.system_fingerprint = std::string(piece.system_fingerprint);
  open_locked(piece.index);
  if (piece.delta && piece.delta->IsObject()) {
    auto c = piece.delta->FindMember("content");
    if (c != piece.delta->MemberEnd() && c->value.IsString() && c->value.GetStringLength() > 0)
      prefix_locked(piece.index);
  }
  sink_->stream(domain::sse_piece_chunk(meta_, piece));
}

void turn_reply::complete(const llm_result& r) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_) return;
  finished_ = true;
  ended_locked(&r, 200);
  meta_.provider = r.provider;
  if (meta_.system_fingerprint.empty()) meta_.system_fingerprint = r.system_fingerprint;
  if (!stream_) {
    sink_->send(200, domain::encode_completion(meta_, r));
    return;
  }
  for (auto& c : r.choices) open_locked(c.index);
  std::string tail = domain::sse_finish_chunk(meta_, r);
  if (include_usage_) tail += domain::sse_usage_chunk(meta_, r);
  tail += domain::sse_done;
  sink_->end_stream(std::move(tail));
}

void turn_reply::fail(const domain::api_error& e) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_) return;
  finished_ = true;
  ended_locked(nullptr, opened_.empty() ? e.status : 200);
  if (opened_.empty()) {
    send_error(*sink_, e);
    return;
  }
  std::string tail = domain::sse_error_chunk(meta_, e);
  tail += domain::sse_done;
  sink_->end_stream(std::move(tail));
}

}  // namespace troupe::actors
