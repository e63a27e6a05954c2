#include "http/accept_guard.hpp"

#include <poll.h>

#include <spdlog/spdlog.h>

namespace troupe::http {

namespace {
constexpr std::chrono::milliseconds poll_interval{250};

template <class... Args>
void warn(const char* fmt, Args&&... args) noexcept {
  try {
    spdlog::warn(fmt, std::forward<Args>(args)...);
  } catch (...) {
  }
}
}  // namespace

struct accept_guard::state {
  std::mutex mu;
  acceptor_iface* acceptor;  // null once the acceptor is gone
  std::size_t max;
  std::vector<char> armed;  // per slot: an accept was asked for, not yet back
  std::size_t armed_count = 0;
  std::size_t connections = 0;
  std::vector<std::size_t> parked;  // slots waiting for room under the cap
  std::uint64_t completions = 0;    // accepts that came back (with or without a connection)
  std::uint64_t seen_completions = 0;
  int stalled_polls = 0;
  bool cap_logged = false;  // until the count fell to half the cap, and a minute passed
  std::chrono::steady_clock::time_point cap_logged_at{};
  bool stall_logged = false;

  bool has_room() const { return connections + armed_count < max; }

  void opened() {
    std::lock_guard<std::mutex> g{mu};
    ++connections;
  }

  void closed() {
    std::size_t slot = 0;
    acceptor_iface* resume = nullptr;
    {
      std::lock_guard<std::mutex> g{mu};
      --connections;
      // The next time is news again (not while the backlog refills the last slots).
      if (connections <= max / 2 &&
          std::chrono::steady_clock::now() - cap_logged_at > std::chrono::minutes(1))
        cap_logged = false;
      if (acceptor && has_room() && !parked.empty()) {
        slot = parked.back();
        parked.pop_back();
        resume = acceptor;
      }
    }
    if (resume) resume->schedule_next_accept_attempt(slot);
  }
};

std::mutex accept_guard::registry_mu_;
accept_guard* accept_guard::running_ = nullptr;

accept_guard::accept_guard(restinio::not_null_pointer_t<acceptor_iface> acceptor,
                           restinio::connection_count_limits::max_parallel_connections_t max,
                           restinio::connection_count_limits::max_active_accepts_t slots)
    : st_(std::make_shared<state>()) {
  st_->acceptor = acceptor;
  st_->max = std::max<std::size_t>(1, max.value());
  st_->armed.assign(slots.value(), 0);
  st_->parked.reserve(slots.value());  // no allocation in the noexcept calls below
  std::lock_guard<std::mutex> g{registry_mu_};
  running_ = this;
}

accept_guard::~accept_guard() {
  {
    std::lock_guard<std::mutex> g{registry_mu_};
    if (running_ == this) running_ = nullptr;
  }
  std::lock_guard<std::mutex> g{st_->mu};
  st_->acceptor = nullptr;
}

void accept_guard::accept_next(std::size_t slot) noexcept {
  auto& st = *st_;
  bool now = false, log_cap = false;
  std::size_t connections = 0;
  {
    std::lock_guard<std::mutex> g{st.mu};
    if (st.armed[slot]) {  // its previous accept came back
      st.armed[slot] = 0;
      --st.armed_count;
      ++st.completions;
      st.stall_logged = false;
    }
    if (st.has_room()) {
      st.armed[slot] = 1;
      ++st.armed_count;
      now = true;
    } else {
      st.parked.push_back(slot);
      log_cap = !st.cap_logged;
      if (log_cap) st.cap_logged_at = std::chrono::steady_clock::now();
      st.cap_logged = true;
      connections = st.connections;
    }
  }
  if (now)
    st.acceptor->call_accept_now(slot);
  else if (log_cap)
    warn("connection limit reached ({} open, --max-connections {}): new connections wait in the "
         "listen backlog until one closes",
         connections, st.max);
}

void accept_guard::check(bool connections_waiting) noexcept {
  auto& st = *st_;
  std::vector<std::size_t> retry;
  bool log = false;
  {
    std::lock_guard<std::mutex> g{st.mu};
    if (!connections_waiting || st.armed_count == 0 || st.completions != st.seen_completions) {
      st.seen_completions = st.completions;
      st.stalled_polls = 0;
      return;
    }
    if (++st.stalled_polls < 2) return;
    st.stalled_polls = 0;
    for (std::size_t s = 0; s < st.armed.size(); ++s) {
      if (!st.armed[s]) continue;
      st.armed[s] = 0;
      retry.push_back(s);
    }
    st.armed_count = 0;
    log = !st.stall_logged;
    st.stall_logged = true;
  }
  if (log)
    warn("accept() failed with connections waiting (out of file descriptors?): retrying until "
         "it succeeds");
  for (auto s : retry) st.acceptor->schedule_next_accept_attempt(s);
}

connection_ticket::connection_ticket(accept_guard* guard) : st_(guard->shared()) { st_->opened(); }

connection_ticket& connection_ticket::operator=(connection_ticket&& other) noexcept {
  if (this != &other) {
    if (st_) st_->closed();
    st_ = std::move(other.st_);
  }
  return *this;
}

connection_ticket::~connection_ticket() {
  if (st_) st_->closed();
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
