#pragma once
// Keeps the server accepting when descriptors run out.
//
// RESTinio 0.6.16 stops accepting for good once accept() fails (EMFILE): its
// completion handler drops the error and never asks for the next accept, and
// nothing is logged. Its one seam around accepting is the connection-count
// limiter, which the acceptor asks before every accept and which may call the
// acceptor back; server_traits puts this class in its place. It caps
// connections (--max-connections, logged once per episode when reached), and
// remembers which accept slots are armed. accept_watchdog polls the listening
// socket: connections waiting there while an accept is armed and none
// completes for two polls means that accept failed, so the guard disarms it
// and asks the acceptor for a new one (every ~0.5 s while descriptors lack).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <restinio/all.hpp>

namespace troupe::http {

class accept_guard {
 public:
  using acceptor_iface = restinio::connection_count_limits::impl::acceptor_callback_iface_t;
  // Shared with the connections' tickets: a connection may outlive the
  // acceptor (an actor still holds its request when the server stops).
  struct state;

  accept_guard(restinio::not_null_pointer_t<acceptor_iface> acceptor,
               restinio::connection_count_limits::max_parallel_connections_t max,
               restinio::connection_count_limits::max_active_accepts_t slots);
  ~accept_guard();
  accept_guard(const accept_guard&) = delete;
  accept_guard& operator=(const accept_guard&) = delete;

  // RESTinio's limiter interface: before each accept, and again when it came back.
  void accept_next(std::size_t slot) noexcept;

  // A poll of the listening socket: whether connections wait to be accepted.
  void check(bool connections_waiting) noexcept;

  const std::shared_ptr<state>& shared() const { return st_; }

  // Runs f(guard) with the running server's guard, if there is one. RESTinio
  // constructs the limiter itself and hands it only counts, so the guard
  // registers itself here; one server per process.
  template <class F>
  static void with_running(F&& f) {
    std::lock_guard<std::mutex> g{registry_mu_};
    if (running_) f(*running_);
  }

 private:
  static std::mutex registry_mu_;
  static accept_guard* running_;
  std::shared_ptr<state> st_;
};

// RESTinio's connection lifetime monitor (server_traits): counts one
// connection against the guard for as long as the connection lives.
class connection_ticket {
 public:
  explicit connection_ticket(accept_guard* guard);
  connection_ticket(connection_ticket&& other) noexcept = default;
  connection_ticket& operator=(connection_ticket&& other) noexcept;
  ~connection_ticket();

 private:
  std::shared_ptr<accept_guard::state> st_;
};

// Polls the listening socket on the server's io_context every 250 ms.
class accept_watchdog {
 public:
  accept_watchdog(restinio::asio_ns::io_context& io, int listen_fd);
  void start();
  void stop();

 private:
  void tick();
  restinio::asio_ns::steady_timer timer_;
  int fd_;
  std::atomic<bool> stopped_{false};
};

}  // namespace troupe::http
