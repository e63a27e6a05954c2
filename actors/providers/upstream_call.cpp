#include "actors/providers/upstream_call.hpp"

#include "domain/core/clock.hpp"
#include "domain/core/json.hpp"

namespace troupe::actors {

namespace {
constexpr std::size_t max_body_bytes = 16u << 20;
constexpr std::size_t max_error_body_bytes = 64u << 10;
}  // namespace

using domain::upstream_failure;

upstream_call::upstream_call(std::shared_ptr<turn_reply> reply, clock::time_point deadline,
                             std::chrono::milliseconds idle_limit, done_fn done)
    : reply_(std::move(reply)), deadline_(deadline), idle_limit_(idle_limit),
      done_(std::move(done)) {}

void upstream_call::relay(const domain::stream_piece& piece) {
  if (reply_) reply_->relay(piece);
}

void upstream_call::replay(const domain::completion_result& r) {
  if (!reply_) return;
  for (auto& c : r.choices) {
    if (c.message.kind == domain::content_kind::text) reply_->delta(c.message.content, c.index);
    auto& calls = c.message.tool_calls();
    for (std::size_t slot = 0; slot < calls.size(); ++slot) {
      auto text = domain::tool_call_delta(slot, &calls[slot], calls[slot].arguments);
      rapidjson::Document delta;
      delta.Parse(text.data(), text.size());
      domain::stream_piece piece;
      piece.index = c.index;
      piece.delta = &delta;
      reply_->relay(piece);
    }
  }
}

bool upstream_call::stop(upstream_failure why, std::string message) {
  domain::upstream_outcome o;
  o.failure = why;
  o.status = static_cast<int>(head_.status);
  o.message = std::move(message);
  o.started = decoder_.started();
  stopped_ = std::move(o);
  return false;
}

void upstream_call::on_head(const response_head& head) {
  head_ = head;
  event_stream_ = ok_status() && head.content_type.rfind("text/event-stream", 0) == 0;
}

bool upstream_call::on_body(std::string_view bytes) {
  if (event_stream_) {
    if (decoder_.feed(bytes, [this](const domain::stream_piece& p) { relay(p); })) {
      if (decoder_.started()) deadline_ = clock::now() + idle_limit_;
      return true;
    }
    if (decoder_.status() != domain::upstream_stream_decoder::state::failed) return true;  // [DONE]
    return stop(decoder_.upstream_reported() ? upstream_failure::reported
                                             : upstream_failure::malformed,
                decoder_.error());
  }
  auto cap = ok_status() ? max_body_bytes : max_error_body_bytes;
  if (body_.size() + bytes.size() > cap) {
    if (!ok_status()) return true;  // enough of an error page to quote
    return stop(upstream_failure::malformed, "the reply is larger than 16 MiB");
  }
  body_.append(bytes);
  return true;
}

bool upstream_call::still_wanted(clock::time_point now) {
  if (reply_ && reply_->client_gone())
    return stop(upstream_failure::cancelled, "the client went away");
  if (reply_ && reply_->finished()) return stop(upstream_failure::cancelled, "the turn is over");
  if (now > deadline_)
    return stop(upstream_failure::timeout,
                decoder_.started() ? "the stream stalled" : "no answer before the timeout");
  return true;
}

void upstream_call::on_end(const transfer_end& end) { done_(judge(end)); }

attempt_report upstream_call::judge(const transfer_end& end) {
  using k = transfer_end::kind;
  attempt_report r;
  auto& o = r.outcome;
  o.status = static_cast<int>(head_.status);
  o.started = decoder_.started();
  if (stopped_) {
    o = *stopped_;
  } else if (end.how == k::connect_failed) {
    o.failure = upstream_failure::connect;
    o.message = end.detail;
  } else if (end.how == k::broken) {
    o.failure = upstream_failure::transport;
    o.message = "the connection broke: " + end.detail;
  } else if (end.how == k::aborted) {
    o.failure = upstream_failure::cancelled;
    o.message = end.detail;
  } else if (!ok_status()) {
    o.failure = upstream_failure::http_status;
    auto info = domain::parse_upstream_error(body_);
    o.message = std::move(info.message);
    o.param = std::move(info.param);
    o.code = std::move(info.code);
    if (!head_.retry_after.empty())
      o.retry_after_ms = domain::parse_retry_after_ms(head_.retry_after, domain::now_ms());
  } else {
    return completed();
  }
  return r;
}

attempt_report upstream_call::completed() {
  attempt_report r;
  auto& o = r.outcome;
  o.status = static_cast<int>(head_.status);
  std::optional<domain::completion_result> answer;
  if (event_stream_) {
    if (decoder_.finish([this](const domain::stream_piece& p) { relay(p); }))
      answer = decoder_.result();
    o.started = decoder_.started();
    if (!answer) {
      o.failure = decoder_.upstream_reported() ? upstream_failure::reported
                                               : upstream_failure::malformed;
      o.message = decoder_.error();
    }
  } else {
    std::string error;
    answer = domain::parse_upstream_completion(body_, error);
    if (!answer) {
      o.failure = upstream_failure::malformed;
      o.message = error;
    } else {
      replay(*answer);  // asked to stream, answered whole
    }
  }
  if (answer) static_cast<domain::completion_result&>(r.result) = std::move(*answer);
  return r;
}

}  // namespace troupe::actors
