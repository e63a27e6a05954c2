#include "actors/turn_reply.hpp"

#include "domain/core/json.hpp"

namespace troupe::actors {

void send_error(reply_sink& sink, const domain::api_error& e) {
  header_list headers;
  if (e.retry_after_s > 0) headers.emplace_back("Retry-After", std::to_string(e.retry_after_s));
  sink.send_with_headers(e.status, domain::encode_error(e), headers);
}

turn_reply::turn_reply(sink_ptr sink, std::unique_ptr<domain::reply_encoder> encoder,
                       const std::string& session_id, bool stream, bool include_usage)
    : sink_(std::move(sink)), enc_(std::move(encoder)), stream_(stream),
      include_usage_(include_usage) {
  sink_->set_session(session_id);
}

std::shared_ptr<turn_reply> chat_turn_reply(sink_ptr sink, domain::completion_meta meta,
                                            bool stream, bool include_usage) {
  auto session = meta.session_id;
  return std::make_shared<turn_reply>(std::move(sink), domain::chat_reply_encoder(std::move(meta)),
                                      session, stream, include_usage);
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
  enc_->set_session(id);
  sink_->set_session(id);
}

void turn_reply::set_content_prefix(std::string prefix) {
  std::lock_guard<std::mutex> guard{mu_};
  whole_prefix_ = prefix;
  prefix_ = std::move(prefix);
}

void turn_reply::apply_content_prefix(llm_result& r) const {
  std::string prefix;
  {
    std::lock_guard<std::mutex> guard{mu_};
    prefix = whole_prefix_;
  }
  auto& m = r.first().message;
  if (prefix.empty() || m.kind != domain::content_kind::text || m.content.empty()) return;
  m.content.insert(0, prefix);
  m.words = -1;  // counted anew when needed
  r.tokens.completion_tokens += domain::count_words(prefix);
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

std::string turn_reply::prefix_locked(int index) {
  if (index != 0 || prefix_.empty()) return {};
  auto out = enc_->delta(prefix_, 0);
  prefix_.clear();
  return out;
}

void turn_reply::delta(std::string_view text, int index) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_ || !stream_ || text.empty()) return;
  output_locked();
  auto events = prefix_locked(index);
  events += enc_->delta(text, index);
  sink_->stream(std::move(events));
}

namespace {

// The delta without its tool call fragments; null when nothing else is left.
std::unique_ptr<rapidjson::Document> without_tool_calls(const domain::json_value& delta) {
  auto out = std::make_unique<rapidjson::Document>();
  out->SetObject();
  bool kept = false;
  for (auto& m : delta.GetObject()) {
    if (m.name == "tool_calls" || m.name == "function_call") continue;
    out->AddMember(domain::json_value(m.name, out->GetAllocator()),
                   domain::json_value(m.value, out->GetAllocator()), out->GetAllocator());
    kept = true;
  }
  if (!kept) out.reset();
  return out;
}

}  // namespace

void turn_reply::hold_tool_calls() {
  std::lock_guard<std::mutex> guard{mu_};
  hold_calls_ = true;
}

void turn_reply::tool_activity(const domain::server_tool_call& call) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_ || !stream_) return;
  auto events = enc_->tool_activity(call);
  if (!events.empty()) sink_->stream(std::move(events));
}

void turn_reply::keepalive() {
  std::lock_guard<std::mutex> guard{mu_};
  // Only inside an open stream: before it, a failure must still be able to
  // answer with its status.
  if (finished_ || !stream_ || !enc_->opened()) return;
  sink_->stream(std::string(domain::sse_keepalive));
}

void turn_reply::relay(const domain::stream_piece& given) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_ || !stream_) return;
  auto piece = given;
  std::unique_ptr<rapidjson::Document> kept;
  if (hold_calls_ && piece.delta && piece.delta->IsObject() &&
      (piece.delta->HasMember("tool_calls") || piece.delta->HasMember("function_call"))) {
    kept = without_tool_calls(*piece.delta);
    piece.delta = kept.get();
    if (!domain::worth_relaying(piece)) return;
  }
  output_locked();
  std::string events;
  if (piece.delta && piece.delta->IsObject()) {
    auto c = piece.delta->FindMember("content");
    if (c != piece.delta->MemberEnd() && c->value.IsString() && c->value.GetStringLength() > 0)
      events = prefix_locked(piece.index);
  }
  events += enc_->piece(piece);
  if (!events.empty()) sink_->stream(std::move(events));
}

void turn_reply::complete(const llm_result& r) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_) return;
  finished_ = true;
  ended_locked(&r, 200);
  if (!stream_) {
    sink_->send(200, enc_->whole(r, r.provider));
    return;
  }
  auto events = hold_calls_ ? enc_->held_calls(r) : std::string();
  events += enc_->finish(r, r.provider, include_usage_);
  sink_->end_stream(std::move(events));
}

void turn_reply::replay(const llm_result& r) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_) return;
  finished_ = true;
  ended_locked(nullptr, 200);
  sink_->add_header("Idempotent-Replayed", "true");  // as Stripe's API says it
  if (!stream_) {
    sink_->send(200, enc_->whole(r, r.provider));
    return;
  }
  std::string events;
  for (auto& c : r.choices)
    if (!c.message.content.empty()) events += enc_->delta(c.message.content, c.index);
  events += enc_->held_calls(r);  // the calls whole, as when their fragments were held
  events += enc_->finish(r, r.provider, include_usage_);
  sink_->end_stream(std::move(events));
}

void turn_reply::hand_off() {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_) return;
  finished_ = true;
  if (observer_) observer_->handed_off();
}

void turn_reply::fail(const domain::api_error& e) {
  std::lock_guard<std::mutex> guard{mu_};
  if (finished_) return;
  finished_ = true;
  ended_locked(nullptr, enc_->opened() ? 200 : e.status);
  if (!enc_->opened()) {
    send_error(*sink_, e);
    return;
  }
  sink_->end_stream(enc_->failure(e));
}

}  // namespace troupe::actors
