#include "actors/turn_reply.hpp"

namespace troupe::actors {

void send_error(reply_sink& sink, const domain::api_error& e) {
  sink.send(e.status, domain::encode_error(e));
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

void turn_reply::open_locked() {
  if (opened_) return;
  opened_ = true;
  sink_->stream(domain::sse_role_chunk(meta_));
}

void turn_reply::delta(std::string_view text) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_ || !stream_ || text.empty()) return;
  open_locked();
  sink_->stream(domain::sse_content_chunk(meta_, text));
}

void turn_reply::complete(const llm_result& r) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_) return;
  finished_ = true;
  meta_.provider = r.provider;
  if (!stream_) {
    sink_->send(200, domain::encode_completion(meta_, r.content, r.finish_reason, r.usage));
    return;
  }
  open_locked();
  std::string tail = domain::sse_finish_chunk(meta_, r.finish_reason);
  if (include_usage_) tail += domain::sse_usage_chunk(meta_, r.usage);
  tail += domain::sse_done;
  sink_->end_stream(std::move(tail));
}

void turn_reply::fail(const domain::api_error& e) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_) return;
  finished_ = true;
  if (!opened_) {
    send_error(*sink_, e);
    return;
  }
  std::string tail = domain::sse_error_chunk(meta_, e);
  tail += domain::sse_done;
  sink_->end_stream(std::move(tail));
}

}  // namespace troupe::actors
