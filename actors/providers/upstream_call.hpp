#pragma once
// One attempt of one llm_call against an OpenAI-compatible upstream, as the
// I/O thread sees it: stream deltas go straight to the turn's reply as they
// arrive; at the end one attempt_report goes to `done` (the provider actor).
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actors/providers/curl_loop.hpp"
#include "actors/turn_reply.hpp"
#include "domain/upstream/upstream_policy.hpp"
#include "domain/upstream/upstream_reply.hpp"

namespace troupe::actors {

struct attempt_report {
  domain::upstream_outcome outcome;  // failure == none: `result` holds the answer
  llm_result result;
};

class upstream_call final : public http_exchange {
 public:
  using clock = std::chrono::steady_clock;
  using done_fn = std::function<void(attempt_report)>;

  // `deadline`: when the answer must have begun; after the first streamed
  // token, each further chunk may take up to `idle_limit`.
  upstream_call(std::shared_ptr<turn_reply> reply, clock::time_point deadline,
                std::chrono::milliseconds idle_limit, done_fn done);

  void on_head(const response_head& head) override;
  bool on_body(std::string_view bytes) override;
  bool still_wanted(clock::time_point now) override;
  void on_end(const transfer_end& end) override;

 private:
  bool ok_status() const { return head_.status >= 200 && head_.status < 300; }
  bool stop(domain::upstream_failure why, std::string message);
  attempt_report judge(const transfer_end& end);
  attempt_report completed();
  void relay(const domain::stream_piece& piece);
  // A whole reply to a turn that asked for a stream: its content and tool calls as deltas.
  void replay(const domain::completion_result& r);

  std::shared_ptr<turn_reply> reply_;  // null in tests: nothing streams
  clock::time_point deadline_;
  std::chrono::milliseconds idle_limit_;
  done_fn done_;
  response_head head_;
  bool event_stream_ = false;
  std::string body_;  // a JSON reply or an error body, capped
  domain::upstream_stream_decoder decoder_;
  std::optional<domain::upstream_outcome> stopped_;  // why we aborted it
};

}  // namespace troupe::actors
