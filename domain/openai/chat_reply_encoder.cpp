#include <algorithm>
#include <optional>
#include <vector>

#include "domain/openai/reply_encoder.hpp"

namespace troupe::domain {

namespace {

class chat_encoder final : public reply_encoder {
 public:
  explicit chat_encoder(completion_meta meta) : meta_(std::move(meta)) {}

  void set_session(const std::string& id) override {
    meta_.session_id = id;
    frame_.reset();
  }

  std::string whole(const completion_result& r, std::string_view provider) override {
    meta_.provider = std::string(provider);
    frame_.reset();
    return encode_completion(meta_, r);
  }

  std::string delta(std::string_view text, int index) override {
    if (index != 0) return open(index) + sse_content_chunk(meta_, text, index);
    if (!frame_) frame_ = sse_content_frame(meta_, 0);
    return open(0) + frame_->with(text);
  }

  std::string piece(const stream_piece& p) override {
    if (meta_.system_fingerprint.empty() && !p.system_fingerprint.empty()) {
      meta_.system_fingerprint = std::string(p.system_fingerprint);
      frame_.reset();
    }
    return open(p.index) + sse_piece_chunk(meta_, p);
  }

  std::string finish(const completion_result& r, std::string_view provider,
                     bool include_usage) override {
    meta_.provider = std::string(provider);
    if (meta_.system_fingerprint.empty()) meta_.system_fingerprint = r.system_fingerprint;
    frame_.reset();
    std::string out;
    for (auto& c : r.choices) out += open(c.index);
    out += sse_finish_chunk(meta_, r);
    if (include_usage) out += sse_usage_chunk(meta_, r);
    out += sse_done;
    return out;
  }

  std::string failure(const api_error& e) override {
    return sse_error_chunk(meta_, e) + std::string(sse_done);
  }

  std::string tool_activity(const server_tool_call& c) override {
    return open(0) + sse_tool_chunk(meta_, c);
  }

  std::string held_calls(const completion_result& r) override {
    std::string out;
    auto& calls = r.first().message.tool_calls();
    for (std::size_t k = 0; k < calls.size(); ++k) {
      rapidjson::Document delta;
      delta.Parse(tool_call_delta(k, &calls[k], calls[k].arguments).c_str());
      stream_piece p;
      p.delta = &delta;
      out += piece(p);
    }
    return out;
  }

  bool opened() const override { return !opened_.empty(); }

 private:
  // The role chunk that opens a choice, the first time it is seen.
  std::string open(int index) {
    if (std::find(opened_.begin(), opened_.end(), index) != opened_.end()) return {};
    opened_.push_back(index);
    return sse_role_chunk(meta_, index);
  }

  completion_meta meta_;
  std::vector<int> opened_;
  std::optional<content_chunk_frame> frame_;  // choice 0's, while meta_ is unchanged
};

}  // namespace

std::unique_ptr<reply_encoder> chat_reply_encoder(completion_meta meta) {
  return std::make_unique<chat_encoder>(std::move(meta));
}

}  // namespace troupe::domain
