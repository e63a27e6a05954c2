#include "domain/keys/key_meter.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace troupe::domain {

namespace {

constexpr double minute_ms = 60000.0;

// Milliseconds until `level` reaches `needed` at per_minute / minute.
double wait_ms(double level, double needed, std::int64_t per_minute) {
  return std::max(0.0, (needed - level) * minute_ms / static_cast<double>(per_minute));
}

rate_window window_of(double level, std::int64_t cap) {
  rate_window w;
  w.limit = cap;
  w.remaining = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(level)));
  w.reset_s = wait_ms(level, static_cast<double>(cap), cap) / 1000.0;
  return w;
}

}  // namespace

std::string_view to_string(limit_refusal r) {
  switch (r) {
    case limit_refusal::requests: return "requests";
    case limit_refusal::tokens: return "tokens";
    case limit_refusal::parallel: return "parallel";
    case limit_refusal::budget: return "budget";
    case limit_refusal::none: break;
  }
  return "none";
}

void key_meter::bucket::refill(std::int64_t per_minute, std::int64_t now_ms) {
  auto cap = static_cast<double>(per_minute);
  if (!primed) {
    primed = true;
    level = cap;
  } else if (now_ms > at_ms) {  // a wall clock that stepped back refills nothing
    level += static_cast<double>(now_ms - at_ms) * cap / minute_ms;
  }
  level = std::min(level, cap);  // also when the limit was lowered
  at_ms = std::max(at_ms, now_ms);
}

void key_meter::roll_budget(const key_limits& l, std::int64_t now_ms) {
  auto period = period_index(l.period, now_ms);
  if (period != budget_period_) {
    budget_period_ = period;
    budget_used_ = 0;
  }
}

admission key_meter::admit(const key_limits& l, std::int64_t now_ms) {
  std::lock_guard<std::mutex> g{mu_};
  admission a;
  if (l.rpm) requests_.refill(*l.rpm, now_ms);
  if (l.tpm) tokens_.refill(*l.tpm, now_ms);
  if (l.token_budget) roll_budget(l, now_ms);
  auto refuse = [&](limit_refusal why, double wait_s) {
    a.refused = why;
    a.retry_after_s = wait_s;
  };
  if (l.token_budget && budget_used_ >= *l.token_budget)
    refuse(limit_refusal::budget,
           static_cast<double>(period_end_ms(l.period, now_ms) - now_ms) / 1000.0);
  else if (l.max_parallel && in_flight_ >= *l.max_parallel)
    refuse(limit_refusal::parallel, 1.0);  // unknowable: when a running turn ends
  else if (l.tpm && tokens_.level < 1)
    refuse(limit_refusal::tokens, wait_ms(tokens_.level, 1, *l.tpm) / 1000.0);
  else if (l.rpm && requests_.level < 1)
    refuse(limit_refusal::requests, wait_ms(requests_.level, 1, *l.rpm) / 1000.0);
  if (a.admitted()) {
    ++in_flight_;
    if (l.rpm) requests_.level -= 1;
  }
  if (l.rpm) a.requests = window_of(requests_.level, *l.rpm);
  if (l.tpm) a.tokens = window_of(tokens_.level, *l.tpm);
  return a;
}

void key_meter::release() {
  std::lock_guard<std::mutex> g{mu_};
  if (in_flight_ > 0) --in_flight_;
}

void key_meter::finish(const key_limits& l, std::int64_t tokens, std::int64_t now_ms) {
  std::lock_guard<std::mutex> g{mu_};
  if (in_flight_ > 0) --in_flight_;
  spend_locked(l, tokens, now_ms);
}

void key_meter::record_tokens(const key_limits& l, std::int64_t tokens, std::int64_t now_ms) {
  std::lock_guard<std::mutex> g{mu_};
  spend_locked(l, tokens, now_ms);
}

void key_meter::spend_locked(const key_limits& l, std::int64_t tokens, std::int64_t now_ms) {
  if (tokens <= 0) return;
  if (l.tpm) {
    tokens_.refill(*l.tpm, now_ms);
    tokens_.level -= static_cast<double>(tokens);  // may go below 0: a debt paid by waiting
  }
  if (l.token_budget) {
    roll_budget(l, now_ms);
    budget_used_ += tokens;
  }
}

void key_meter::seed_budget(const key_limits& l, std::int64_t used, std::int64_t now_ms) {
  std::lock_guard<std::mutex> g{mu_};
  roll_budget(l, now_ms);
  budget_used_ = used;
}

std::int64_t key_meter::in_flight() const {
  std::lock_guard<std::mutex> g{mu_};
  return in_flight_;
}

api_error refusal_error(const admission& a, const key_limits& l) {
  auto wait = format_reset(a.retry_after_s);
  auto retry = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(a.retry_after_s)));
  switch (a.refused) {
    case limit_refusal::budget: {
      auto e = too_many_requests(
          fmt::format("You exceeded your token budget of {} per {}; it renews in {}.",
                      l.token_budget.value_or(0), to_string(l.period), wait),
          retry, "insufficient_quota");
      e.type = "insufficient_quota";
      return e;
    }
    case limit_refusal::parallel:
      return too_many_requests(
          fmt::format("Rate limit reached for turns in flight: limit {}. Retry when one ends.",
                      l.max_parallel.value_or(0)),
          retry, "max_parallel_exceeded");
    case limit_refusal::tokens:
      return too_many_requests(
          fmt::format("Rate limit reached for tokens per minute (TPM): limit {}. Please try again "
                      "in {}.",
                      l.tpm.value_or(0), wait),
          retry);
    default:
      return too_many_requests(
          fmt::format("Rate limit reached for requests per minute (RPM): limit {}. Please try "
                      "again in {}.",
                      l.rpm.value_or(0), wait),
          retry);
  }
}

// On every chat response of a limited key: plain string work, no formatting library.
std::vector<std::pair<std::string, std::string>> rate_limit_headers(const admission& a) {
  std::vector<std::pair<std::string, std::string>> h;
  h.reserve(6);
  auto trio = [&](const char* const (&names)[3], const std::optional<rate_window>& w) {
    if (!w) return;
    h.emplace_back(names[0], std::to_string(w->limit));
    h.emplace_back(names[1], std::to_string(w->remaining));
    h.emplace_back(names[2], format_reset(w->reset_s));
  };
  static const char* const requests[3] = {"x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
                                          "x-ratelimit-reset-requests"};
  static const char* const tokens[3] = {"x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens",
                                        "x-ratelimit-reset-tokens"};
  trio(requests, a.requests);
  trio(tokens, a.tokens);
  return h;
}

std::string format_reset(double seconds) {
  if (!(seconds > 0)) return "0s";
  auto ms = static_cast<std::int64_t>(std::ceil(seconds * 1000));
  if (ms < 1000) return std::to_string(ms) + "ms";
  if (ms < 60000) {
    auto out = std::to_string(ms / 1000);
    if (auto frac = ms % 1000) {
      char digits[4] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                        static_cast<char>('0' + frac % 10), 0};
      auto len = digits[2] != '0' ? 3 : digits[1] != '0' ? 2 : 1;
      out.push_back('.');
      out.append(digits, static_cast<std::size_t>(len));
    }
    return out + "s";
  }
  auto total = (ms + 999) / 1000;
  auto h = total / 3600, m = total / 60 % 60, sec = total % 60;
  auto tail = std::to_string(m) + "m" + std::to_string(sec) + "s";
  return h > 0 ? std::to_string(h) + "h" + tail : tail;
}

}  // namespace troupe::domain
