#include "http/turn_accounting.hpp"

#include <chrono>
#include <cmath>

#include "domain/core/clock.hpp"
#include "http/api_context.hpp"

namespace troupe::http {

namespace {

using clock = std::chrono::steady_clock;

double since(clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); }

class turn_accounting final : public actors::turn_observer {
 public:
  turn_accounting(const api_context& ctx, const caller& who, std::string user_id, std::string agent_id)
      : metrics_(ctx.metrics), usage_(ctx.rt.usage_meter), grant_(who.grant),
        user_id_(std::move(user_id)), agent_id_(std::move(agent_id)), began_(clock::now()) {
    metrics_->turn_admitted();
  }

  void started() override { metrics_->turn_queue_wait(since(began_)); }
  void first_output() override { metrics_->turn_first_token(since(began_)); }

  void ended(const actors::llm_result* result, int) override {
    auto now = domain::now_ms();
    domain::usage_counts c;
    c.requests = 1;
    if (result) {
      c.prompt_tokens = result->tokens.prompt_tokens;
      c.completion_tokens = result->tokens.completion_tokens;
    }
    if (grant_.key) grant_.meter->finish(grant_.key->limits, c.total_tokens(), now);
    usage_->add(user_id_, grant_.key ? std::string_view(grant_.key->id) : std::string_view(),
                agent_id_, now, c);
    metrics_->turn_ended(since(began_));
  }

  // Gives the parallel slot back; the owner node counts the turn's usage.
  void handed_off() override {
    if (grant_.key) grant_.meter->finish(grant_.key->limits, 0, domain::now_ms());
    metrics_->turn_ended(since(began_));
  }

 private:
  std::shared_ptr<metrics> metrics_;
  std::shared_ptr<domain::usage_meter> usage_;
  domain::key_grant grant_;
  std::string user_id_, agent_id_;
  clock::time_point began_;
};

}  // namespace

void speak_as(const caller& who, domain::completion_request& req) {
  auto key = who.key();
  if (!key) return;
  if (!req.user_id.empty() && req.user_id != key->user_id)
    throw domain::forbidden("metadata.user_id '" + req.user_id +
                                "' is not the user of this API key; omit it",
                            "metadata.user_id");
  req.user_id = key->user_id;
  if (!key->allows_agent(req.model))
    throw domain::not_found("model '" + req.model + "' does not exist", "model_not_found", "model");
}

std::shared_ptr<actors::turn_observer> admit_turn(const api_context& ctx, const caller& who,
                                                  actors::reply_sink& sink,
                                                  const domain::completion_request& req) {
  if (auto key = who.key()) {
    auto a = who.grant.meter->admit(key->limits, domain::now_ms());
    for (auto& [name, value] : domain::rate_limit_headers(a)) sink.add_header(name, value);
    if (!a.admitted()) {
      ctx.metrics->rate_limited(key->id, a.refused);
      // OpenAI's clients read this one first: more exact than whole seconds.
      sink.add_header("retry-after-ms",
                      std::to_string(static_cast<std::int64_t>(std::ceil(a.retry_after_s * 1000))));
      throw domain::refusal_error(a, key->limits);
    }
  }
  return std::make_shared<turn_accounting>(ctx, who, req.user_id, req.model);
}

}  // namespace troupe::http
