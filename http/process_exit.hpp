#pragma once
// The ways out of the process once an orderly stop has begun: a second
// signal ends it at once, and a stop that hangs is cut short.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace troupe::http {

// A second SIGINT/SIGTERM while draining: log it and exit with 128 + sig now.
[[noreturn]] void exit_now(int sig);

// From here on (the server has stopped, the actors are stopping), SIGINT and
// SIGTERM exit at once with 128 + sig.
void exit_on_next_signal();

// Exits with 0 if the rest of the stop (actors, threads) takes longer than
// `limit`: SIGTERM must end the process within --drain-s + 2 s whatever an
// actor does. Destroy it once the stop is complete.
class stop_deadline {
 public:
  explicit stop_deadline(std::chrono::milliseconds limit);
  ~stop_deadline();
  stop_deadline(const stop_deadline&) = delete;
  stop_deadline& operator=(const stop_deadline&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread watcher_;
};

}  // namespace troupe::http
