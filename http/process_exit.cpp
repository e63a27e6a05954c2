#include "http/process_exit.hpp"

#include <csignal>
#include <cstdlib>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace troupe::http {

namespace {

// Flushes the async log as far as a moment allows; nothing may block here.
void flush_log() {
  spdlog::default_logger()->flush();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

extern "C" void exit_at_once(int sig) { ::_exit(128 + sig); }  // async-signal-safe

}  // namespace

void exit_now(int sig) {
  spdlog::warn("signal {} again: exiting without waiting", sig);
  flush_log();
  std::_Exit(128 + sig);
}

void exit_on_next_signal() {
  std::signal(SIGINT, exit_at_once);
  std::signal(SIGTERM, exit_at_once);
}

stop_deadline::stop_deadline(std::chrono::milliseconds limit) {
  watcher_ = std::thread([this, limit] {
    std::unique_lock<std::mutex> g{mu_};
    if (cv_.wait_for(g, limit, [this] { return done_; })) return;
    spdlog::error("actors still running {} ms after the server stopped: exiting anyway",
                  limit.count());
    flush_log();
    std::_Exit(0);
  });
}

stop_deadline::~stop_deadline() {
  {
    std::lock_guard<std::mutex> g{mu_};
    done_ = true;
  }
  cv_.notify_all();
  watcher_.join();
}

}  // namespace troupe::http
