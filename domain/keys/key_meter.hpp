#pragma once
// The live limits of one key: requests and tokens per minute as token
// buckets (a burst up to the limit, refilled evenly over a minute), turns in
// flight, and tokens spent in the budget period. One small mutex per key:
// the HTTP threads admit requests here without asking any actor.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/core/api_error.hpp"
#include "domain/keys/api_key.hpp"

namespace troupe::domain {

// One x-ratelimit-* trio.
struct rate_window {
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  double reset_s = 0;  // until the bucket is full again
};

enum class limit_refusal { none, requests, tokens, parallel, budget };
std::string_view to_string(limit_refusal r);

struct admission {
  limit_refusal refused = limit_refusal::none;
  double retry_after_s = 0;
  std::optional<rate_window> requests, tokens;  // for the limits the key has
  bool admitted() const { return refused == limit_refusal::none; }
};

class key_meter {
 public:
  // Takes a request (and a parallel slot) when every limit allows it;
  // otherwise takes nothing and says which limit refused and for how long.
  admission admit(const key_limits& l, std::int64_t now_ms);
  // Gives back the parallel slot of an admitted request (once, when it ends).
  void release();
  // A finished turn's tokens: spent from the tokens bucket and the budget.
  void record_tokens(const key_limits& l, std::int64_t tokens, std::int64_t now_ms);
  // An admitted turn ended: release() and record_tokens() under one lock.
  void finish(const key_limits& l, std::int64_t tokens, std::int64_t now_ms);
  // Tokens already spent in the current period (from storage, at start-up).
  void seed_budget(const key_limits& l, std::int64_t used, std::int64_t now_ms);
  std::int64_t in_flight() const;

 private:
  struct bucket {
    double level = 0;
    std::int64_t at_ms = 0;
    bool primed = false;
    void refill(std::int64_t per_minute, std::int64_t now_ms);
  };
  void roll_budget(const key_limits& l, std::int64_t now_ms);
  void spend_locked(const key_limits& l, std::int64_t tokens, std::int64_t now_ms);

  mutable std::mutex mu_;
  bucket requests_, tokens_;
  std::int64_t in_flight_ = 0;
  std::int64_t budget_used_ = 0;
  std::int64_t budget_period_ = -1;
};

// 429 in OpenAI's words: rate_limit_error, or insufficient_quota for a budget.
api_error refusal_error(const admission& a, const key_limits& l);

// OpenAI's x-ratelimit-{limit,remaining,reset}-{requests,tokens} headers.
std::vector<std::pair<std::string, std::string>> rate_limit_headers(const admission& a);

// OpenAI's reset format: "250ms", "1s", "1.5s", "6m0s", "1h2m3s".
std::string format_reset(double seconds);

}  // namespace troupe::domain
