#pragma once
// Child processes (stdio MCP servers) on one I/O thread: their stdin,
// stdout and stderr are non-blocking pipes on an epoll loop, their exit a
// pidfd; no thread per pipe. Each child runs in its own process group and
// dies with Troupe (PR_SET_PDEATHSIG, and it sees its stdin close); stop()
// and the loop's end stop the whole group.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace troupe::actors {

struct process_spec {
  std::string command;  // looked up in PATH
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to Troupe's environment
  std::string cwd;                                        // empty: Troupe's
};

// What a child does, told on the loop thread.
class process_events {
 public:
  virtual ~process_events() = default;
  virtual void on_stdout_line(std::string_view line) = 0;
  virtual void on_stderr_line(std::string_view line) = 0;
  // Once, last: the exit status (as waitpid gives it), or -1 with why it never ran.
  virtual void on_exit(int status, const std::string& why) = 0;
};

class process_loop {
 public:
  // Lines longer than this end the child (a server writing garbage).
  static constexpr std::size_t max_line_bytes = 16u << 20;

  process_loop();
  // Stops every child's process group (SIGTERM, SIGKILL after a grace) and joins.
  ~process_loop();
  process_loop(const process_loop&) = delete;
  process_loop& operator=(const process_loop&) = delete;

  // Thread-safe. Returns a handle for write() and stop(); a failure to start
  // comes as on_exit(-1, why).
  std::uint64_t spawn(process_spec spec, std::shared_ptr<process_events> events);
  void write(std::uint64_t handle, std::string bytes);
  // SIGTERM to the child's group, SIGKILL if it is still there after `grace_ms`.
  void stop(std::uint64_t handle, int grace_ms = 2000);

 private:
  struct impl;
  std::unique_ptr<impl> d_;
};

}  // namespace troupe::actors
