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

void key_meter::record_tokens(const key_limits& l, std::int64_t tokens, std::int64_t now_ms) {
  std::lock_guard<std::mutex> g{mu_};
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

std::vector<std::pair<std::string, std::string>> rate_limit_headers(const admission& a) {
  std::vector<std::pair<std::string, std::string>> h;
  auto trio = [&](const char* what, const std::optional<rate_window>& w) {
    if (!w) return;
    h.emplace_back(fmt::format("x-ratelimit-limit-{}", what), std::to_string(w->limit));
    h.emplace_back(fmt::format("x-ratelimit-remaining-{}", what), std::to_string(w->remaining));
    h.emplace_back(fmt::format("x-ratelimit-reset-{}", what), format_reset(w->reset_s));
  };
  trio("requests", a.requests);
  trio("tokens", a.tokens);
  return h;
}

std::string format_reset(double seconds) {
  if (!(seconds > 0)) return "0s";
  if (seconds < 1) return fmt::format("{}ms", static_cast<std::int64_t>(std::ceil(seconds * 1000)));
  if (seconds < 60) {
    auto s = fmt::format("{:.3f}", std::ceil(seconds * 1000) / 1000);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s + "s";
  }
  auto total = static_cast<std::int64_t>(std::ceil(seconds));
  auto h = total / 3600, m = total / 60 % 60, sec = total % 60;
  return h > 0 ? fmt::format("{}h{}m{}s", h, m, sec) : fmt::format("{}m{}s", m, sec);
}

}  // namespace troupe::domain
