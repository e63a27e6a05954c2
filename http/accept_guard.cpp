#include "http/accept_guard.hpp"

#include <poll.h>

#include <spdlog/spdlog.h>

namespace troupe::http {

namespace {
constexpr std::chrono::milliseconds poll_interval{250};
}

std::mutex accept_guard::registry_mu_;
accept_guard* accept_guard::running_ = nullptr;

accept_guard::accept_guard(restinio::not_null_pointer_t<acceptor_iface> acceptor,
                           restinio::connection_count_limits::max_parallel_connections_t max,
                           restinio::connection_count_limits::max_active_accepts_t slots)
    : acceptor_(acceptor), max_(std::max<std::size_t>(1, max.value())), armed_(slots.value(), 0) {
  parked_.reserve(slots.value());  // no allocation in the noexcept calls below
  std::lock_guard<std::mutex> g{registry_mu_};
  running_ = this;
}

accept_guard::~accept_guard() {
  std::lock_guard<std::mutex> g{registry_mu_};
  if (running_ == this) running_ = nullptr;
}

void accept_guard::increment_parallel_connections() noexcept {
  std::lock_guard<std::mutex> g{mu_};
  ++connections_;
}

void accept_guard::decrement_parallel_connections() noexcept {
  std::size_t slot = 0;
  bool resume = false;
  {
    std::lock_guard<std::mutex> g{mu_};
    --connections_;
    // The next time is news again (not while the backlog refills the last slots).
    if (connections_ <= max_ / 2 && std::chrono::steady_clock::now() - cap_logged_at_ > std::chrono::minutes(1))
      cap_logged_ = false;
    if (has_room() && !parked_.empty()) {
      slot = parked_.back();
      parked_.pop_back();
      resume = true;
    }
  }
  if (resume) acceptor_->schedule_next_accept_attempt(slot);
}

void accept_guard::accept_next(std::size_t slot) noexcept {
  bool now = false, log_cap = false;
  std::size_t connections = 0;
  {
    std::lock_guard<std::mutex> g{mu_};
    if (armed_[slot]) {  // its previous accept came back
      armed_[slot] = 0;
      --armed_count_;
      ++completions_;
      stall_logged_ = false;
    }
    if (has_room()) {
      armed_[slot] = 1;
      ++armed_count_;
      now = true;
    } else {
      parked_.push_back(slot);
      log_cap = !cap_logged_;
      if (log_cap) cap_logged_at_ = std::chrono::steady_clock::now();
      cap_logged_ = true;
      connections = connections_;
    }
  }
  if (now) {
    acceptor_->call_accept_now(slot);
  } else if (log_cap) {
    try {
      spdlog::warn("connection limit reached ({} open, --max-connections {}): new connections "
                   "wait in the listen backlog until one closes",
                   connections, max_);
    } catch (...) {
    }
  }
}

void accept_guard::check(bool connections_waiting) noexcept {
  std::vector<std::size_t> retry;
  bool log = false;
  {
    std::lock_guard<std::mutex> g{mu_};
    if (!connections_waiting || armed_count_ == 0 || completions_ != seen_completions_) {
      seen_completions_ = completions_;
      stalled_polls_ = 0;
      return;
    }
    if (++stalled_polls_ < 2) return;
    stalled_polls_ = 0;
    for (std::size_t s = 0; s < armed_.size(); ++s) {
      if (!armed_[s]) continue;
      armed_[s] = 0;
      retry.push_back(s);
    }
    armed_count_ = 0;
    log = !stall_logged_;
    stall_logged_ = true;
  }
  if (log) {
    try {
      spdlog::warn("accept() failed with connections waiting (out of file descriptors?): "
                   "retrying until it succeeds");
    } catch (...) {
    }
  }
  for (auto s : retry) acceptor_->schedule_next_accept_attempt(s);
}

accept_watchdog::accept_watchdog(restinio::asio_ns::io_context& io, int listen_fd)
    : timer_(io), fd_(listen_fd) {}

void accept_watchdog::start() {
  timer_.expires_after(poll_interval);
  timer_.async_wait([this](const restinio::asio_ns::error_code& ec) {
    if (!ec && !stopped_) tick();
  });
}

void accept_watchdog::stop() {
  stopped_ = true;
  timer_.cancel();
}

void accept_watchdog::tick() {
  pollfd p{fd_, POLLIN, 0};
  bool waiting = ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
  accept_guard::with_running([waiting](accept_guard& g) { g.check(waiting); });
  start();
}

}  // namespace troupe::http
