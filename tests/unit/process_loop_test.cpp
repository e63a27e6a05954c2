#define BOOST_TEST_MODULE process_loop
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "actors/tools/process_loop.hpp"

using namespace troupe::actors;
using namespace std::chrono_literals;

namespace {

// Generous: the machine is shared; nothing here asserts speed.
constexpr auto timeout = 20s;

// Records what a child did; waits for it on the test's thread.
class recorder final : public process_events {
 public:
  void on_stdout_line(std::string_view line) override {
    std::lock_guard<std::mutex> g{mu_};
    out_.emplace_back(line);
    cv_.notify_all();
  }
  void on_stderr_line(std::string_view line) override {
    std::lock_guard<std::mutex> g{mu_};
    err_.emplace_back(line);
    cv_.notify_all();
  }
  void on_exit(int status, const std::string& why) override {
    std::lock_guard<std::mutex> g{mu_};
    ++exits_;
    status_ = status;
    why_ = why;
    cv_.notify_all();
  }

  bool wait_out(std::size_t n) { return wait([&] { return out_.size() >= n; }); }
  bool wait_err(std::size_t n) { return wait([&] { return err_.size() >= n; }); }
  bool wait_exit() { return wait([&] { return exits_ > 0; }); }

  std::vector<std::string> out() {
    std::lock_guard<std::mutex> g{mu_};
    return out_;
  }
  std::vector<std::string> err() {
    std::lock_guard<std::mutex> g{mu_};
    return err_;
  }
  int exits() {
    std::lock_guard<std::mutex> g{mu_};
    return exits_;
  }
  int status() {
    std::lock_guard<std::mutex> g{mu_};
    return status_;
  }
  std::string why() {
    std::lock_guard<std::mutex> g{mu_};
    return why_;
  }
  // The first stdout line as a pid (children print `$$` or `$!`).
  pid_t pid(std::size_t line = 0) {
    BOOST_REQUIRE(wait_out(line + 1));
    return static_cast<pid_t>(std::stol(out()[line]));
  }

 private:
  bool wait(const std::function<bool()>& done) {
    std::unique_lock<std::mutex> g{mu_};
    return cv_.wait_for(g, timeout, done);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> out_, err_;
  int exits_ = 0;
  int status_ = 0;
  std::string why_;
};

process_spec sh(const std::string& script, std::vector<std::string> more = {}) {
  process_spec s;
  s.command = "sh";
  s.args = {"-c", script};
  for (auto& a : more) s.args.push_back(a);
  return s;
}

// No such process, or only its zombie (an orphan waits for init to reap it).
bool process_gone(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), {});
  auto paren = all.rfind(')');
  if (paren == std::string::npos || paren + 2 >= all.size()) return true;  // gone meanwhile
  char state = all[paren + 2];
  return state == 'Z' || state == 'X';
}

// Waits (up to `timeout`) for the process to be gone.
bool wait_gone(pid_t pid) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (!process_gone(pid)) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

bool killed_by(int status, int sig) { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }

}  // namespace

BOOST_AUTO_TEST_CASE(cat_echoes_lines) {
  auto ev = std::make_shared<recorder>();
  {
    process_loop loop;
    process_spec cat;
    cat.command = "cat";
    auto h = loop.spawn(cat, ev);
    loop.write(h, "hello\nworld\n");
    BOOST_REQUIRE(ev->wait_out(2));
    // A line in pieces, and CRLF.
    loop.write(h, "par");
    loop.write(h, "tial\nwin\r\n\n");
    BOOST_REQUIRE(ev->wait_out(5));
    BOOST_TEST(ev->out() == (std::vector<std::string>{"hello", "world", "partial", "win", ""}));
    BOOST_TEST(ev->err().empty());
    BOOST_TEST(ev->exits() == 0);
    loop.stop(h);
    BOOST_REQUIRE(ev->wait_exit());
    BOOST_TEST(ev->why().empty());
  }
  // The loop is gone: no callback can still come. Exactly one exit.
  BOOST_TEST(ev->exits() == 1);
}

BOOST_AUTO_TEST_CASE(cat_many_lines_in_order) {
  // More than a pipe holds: writes wait for the child to read.
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  process_spec cat;
  cat.command = "cat";
  auto h = loop.spawn(cat, ev);
  constexpr int n = 50000;
  std::string all;
  for (int i = 0; i < n; ++i) all += "line " + std::to_string(i) + " " + std::string(20, 'x') + "\n";
  BOOST_REQUIRE(all.size() > 1000000u);
  loop.write(h, all);
  BOOST_REQUIRE(ev->wait_out(n));
  auto out = ev->out();
  BOOST_REQUIRE(out.size() == static_cast<std::size_t>(n));
  for (int i = 0; i < n; i += 997) BOOST_TEST(out[i] == "line " + std::to_string(i) + " " + std::string(20, 'x'));
  BOOST_TEST(out.back() == "line " + std::to_string(n - 1) + " " + std::string(20, 'x'));
  loop.stop(h);
  BOOST_REQUIRE(ev->wait_exit());
}

BOOST_AUTO_TEST_CASE(long_line_within_the_limit) {
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  loop.spawn(sh("head -c 1000000 /dev/zero | tr '\\000' a; echo; echo next"), ev);
  BOOST_REQUIRE(ev->wait_out(2));
  BOOST_TEST(ev->out()[0] == std::string(1000000, 'a'));
  BOOST_TEST(ev->out()[1] == "next");
  BOOST_REQUIRE(ev->wait_exit());
  BOOST_TEST(WIFEXITED(ev->status()));
}

BOOST_AUTO_TEST_CASE(stderr_lines) {
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  loop.spawn(sh("echo err1 >&2; echo err2 >&2; echo out1"), ev);
  BOOST_REQUIRE(ev->wait_exit());
  BOOST_TEST(ev->err() == (std::vector<std::string>{"err1", "err2"}));
  BOOST_TEST(ev->out() == (std::vector<std::string>{"out1"}));
  BOOST_TEST(WIFEXITED(ev->status()));
  BOOST_TEST(WEXITSTATUS(ev->status()) == 0);
}

BOOST_AUTO_TEST_CASE(exit_status_reported_once) {
  auto ev = std::make_shared<recorder>();
  {
    process_loop loop;
    loop.spawn(sh("echo out; echo err >&2; exit 3"), ev);
    BOOST_REQUIRE(ev->wait_exit());
    BOOST_TEST(WIFEXITED(ev->status()));
    BOOST_TEST(WEXITSTATUS(ev->status()) == 3);
    BOOST_TEST(ev->why().empty());
    // Lines written before the exit all arrive before it.
    BOOST_TEST(ev->out() == (std::vector<std::string>{"out"}));
    BOOST_TEST(ev->err() == (std::vector<std::string>{"err"}));
  }
  BOOST_TEST(ev->exits() == 1);
}

BOOST_AUTO_TEST_CASE(exit_statuses_of_many_children) {
  // Each child's own status, even when its output ends first.
  constexpr int n = 20;
  std::vector<std::shared_ptr<recorder>> evs;
  {
    process_loop loop;
    for (int i = 0; i < n; ++i) {
      evs.push_back(std::make_shared<recorder>());
      loop.spawn(sh("echo $1; exit $1", {"sh", std::to_string(i)}), evs.back());
    }
    for (int i = 0; i < n; ++i) {
      BOOST_REQUIRE(evs[i]->wait_exit());
      BOOST_TEST_INFO("child " << i);
      BOOST_TEST(WIFEXITED(evs[i]->status()));
      BOOST_TEST(WEXITSTATUS(evs[i]->status()) == i);
      BOOST_TEST(evs[i]->out() == (std::vector<std::string>{std::to_string(i)}));
    }
  }
  for (auto& ev : evs) BOOST_TEST(ev->exits() == 1);
}

BOOST_AUTO_TEST_CASE(killed_by_a_signal) {
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  loop.spawn(sh("kill -USR1 $$"), ev);
  BOOST_REQUIRE(ev->wait_exit());
  BOOST_TEST(killed_by(ev->status(), SIGUSR1));
}

BOOST_AUTO_TEST_CASE(args_env_and_cwd) {
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  auto spec = sh("echo \"$1|$2\"; echo \"$TROUPE_TEST_VAR\"; echo \"$HOME\"; env | grep -c '^HOME='; pwd",
                 {"sh", "a b", "c"});
  spec.env = {{"TROUPE_TEST_VAR", "v=1 2"}, {"HOME", "/nowhere"}};
  spec.cwd = "/";
  loop.spawn(spec, ev);
  BOOST_REQUIRE(ev->wait_exit());
  BOOST_TEST(ev->out() == (std::vector<std::string>{"a b|c", "v=1 2", "/nowhere", "1", "/"}));
}

BOOST_AUTO_TEST_CASE(no_inherited_descriptors) {
  // Only stdin, stdout and stderr (ls's own directory handle aside).
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  loop.spawn(sh("ls /proc/self/fd | wc -l"), ev);
  BOOST_REQUIRE(ev->wait_exit());
  BOOST_REQUIRE(ev->out().size() == 1u);
  BOOST_TEST(std::stoi(ev->out()[0]) <= 4);  // 0 1 2 and ls's
}

BOOST_AUTO_TEST_CASE(missing_command) {
  for (std::string command : {"troupe-no-such-command-xyz", "/nonexistent/troupe-no-such-command"}) {
    auto ev = std::make_shared<recorder>();
    {
      process_loop loop;
      process_spec spec;
      spec.command = command;
      loop.spawn(spec, ev);
      BOOST_REQUIRE(ev->wait_exit());
      BOOST_TEST_INFO(command);
      BOOST_TEST(ev->status() == -1);
      BOOST_TEST(ev->why().find(command) != std::string::npos);
      BOOST_TEST(ev->out().empty());
    }
    BOOST_TEST(ev->exits() == 1);
  }
  // Not executable.
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  process_spec spec;
  spec.command = "/etc/passwd";
  loop.spawn(spec, ev);
  BOOST_REQUIRE(ev->wait_exit());
  BOOST_TEST(ev->status() == -1);
  BOOST_TEST(!ev->why().empty());
}

BOOST_AUTO_TEST_CASE(missing_cwd) {
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  process_spec spec;
  spec.command = "true";
  spec.cwd = "/nonexistent/troupe-dir";
  loop.spawn(spec, ev);
  BOOST_REQUIRE(ev->wait_exit());
  BOOST_TEST(ev->status() == -1);
  BOOST_TEST(!ev->why().empty());
}

BOOST_AUTO_TEST_CASE(stop_ends_a_child_that_ignores_stdin) {
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  auto h = loop.spawn(sh("echo $$; exec sleep 60"), ev);
  auto pid = ev->pid();
  BOOST_TEST(!process_gone(pid));
  loop.stop(h);
  BOOST_REQUIRE(ev->wait_exit());
  BOOST_TEST(killed_by(ev->status(), SIGTERM));
  BOOST_TEST(wait_gone(pid));
  // Writing to or stopping what is gone is harmless.
  loop.write(h, "late\n");
  loop.stop(h);
  loop.write(12345678, "nobody\n");
  loop.stop(12345678);
}

BOOST_AUTO_TEST_CASE(stop_ends_the_process_group) {
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  auto h = loop.spawn(sh("sleep 60 & echo $!; echo $$; sleep 60"), ev);
  auto grandchild = ev->pid(0);
  auto child = ev->pid(1);
  BOOST_TEST(!process_gone(grandchild));
  BOOST_TEST(getpgid(grandchild) == child);  // the child leads its own group
  BOOST_TEST(getpgid(child) == child);
  BOOST_TEST(getpgid(child) != getpgid(0));
  loop.stop(h);
  BOOST_REQUIRE(ev->wait_exit());
  BOOST_TEST(wait_gone(child));
  BOOST_TEST(wait_gone(grandchild));
}

BOOST_AUTO_TEST_CASE(stop_kills_what_ignores_sigterm) {
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  // SIGTERM ignored, in sh and in the sleep it becomes.
  auto h = loop.spawn(sh("trap '' TERM; echo $$; exec sleep 60"), ev);
  auto pid = ev->pid();
  loop.stop(h, 100);
  BOOST_REQUIRE(ev->wait_exit());
  BOOST_TEST(killed_by(ev->status(), SIGKILL));
  BOOST_TEST(wait_gone(pid));
}

BOOST_AUTO_TEST_CASE(group_left_behind_is_killed_at_exit) {
  // The child exits on its own; what it started in its group goes with it.
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  loop.spawn(sh("sleep 60 >/dev/null 2>&1 & echo $!; exit 0"), ev);
  auto grandchild = ev->pid();
  BOOST_REQUIRE(ev->wait_exit());
  BOOST_TEST(WIFEXITED(ev->status()));
  BOOST_TEST(wait_gone(grandchild));
}

BOOST_AUTO_TEST_CASE(closed_stdout_ends_the_child) {
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  loop.spawn(sh("echo $$ >&2; exec >&-; exec sleep 60"), ev);
  BOOST_REQUIRE(ev->wait_err(1));
  auto pid = static_cast<pid_t>(std::stol(ev->err()[0]));
  BOOST_REQUIRE(ev->wait_exit());
  BOOST_TEST(WIFSIGNALED(ev->status()));
  BOOST_TEST(wait_gone(pid));
}

BOOST_AUTO_TEST_CASE(line_too_long_ends_the_child) {
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  // More than max_line_bytes without a newline, then a child that would stay.
  auto bytes = std::to_string(process_loop::max_line_bytes + (1u << 20));
  loop.spawn(sh("echo $$ >&2; head -c " + bytes + " /dev/zero; echo; exec sleep 60"), ev);
  BOOST_REQUIRE(ev->wait_err(1));
  auto pid = static_cast<pid_t>(std::stol(ev->err()[0]));
  BOOST_REQUIRE(ev->wait_exit());
  BOOST_TEST(ev->out().empty());  // the long line never delivered
  BOOST_TEST(WIFSIGNALED(ev->status()));
  BOOST_TEST(wait_gone(pid));
}

BOOST_AUTO_TEST_CASE(destroying_the_loop_stops_all_children) {
  std::vector<std::shared_ptr<recorder>> evs;
  std::vector<pid_t> pids;
  {
    process_loop loop;
    for (auto* script : {"echo $$; exec sleep 60", "echo $$; exec sleep 60",
                         "trap '' TERM; echo $$; exec sleep 60", "sleep 60 & echo $!; sleep 60"}) {
      evs.push_back(std::make_shared<recorder>());
      loop.spawn(sh(script), evs.back());
    }
    for (auto& ev : evs) pids.push_back(ev->pid());
    for (auto pid : pids) BOOST_TEST(!process_gone(pid));
  }
  for (std::size_t i = 0; i < evs.size(); ++i) {
    BOOST_TEST_INFO("child " << i);
    BOOST_TEST(evs[i]->exits() == 1);
    BOOST_TEST(wait_gone(pids[i]));
  }
}

BOOST_AUTO_TEST_CASE(spawn_from_many_threads) {
  constexpr int threads = 4, each = 5;
  std::vector<std::shared_ptr<recorder>> evs(threads * each);
  for (auto& ev : evs) ev = std::make_shared<recorder>();
  process_loop loop;
  std::vector<std::thread> ts;
  std::vector<std::uint64_t> handles(evs.size());
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < each; ++i) {
        auto k = t * each + i;
        process_spec cat;
        cat.command = "cat";
        handles[k] = loop.spawn(cat, evs[k]);
        loop.write(handles[k], "child " + std::to_string(k) + "\n");
      }
    });
  for (auto& t : ts) t.join();
  std::sort(handles.begin(), handles.end());
  BOOST_TEST((std::adjacent_find(handles.begin(), handles.end()) == handles.end()));  // distinct handles
  for (std::size_t k = 0; k < evs.size(); ++k) {
    BOOST_REQUIRE(evs[k]->wait_out(1));
    BOOST_TEST(evs[k]->out()[0] == "child " + std::to_string(k));
  }
}

// A child that closed its stdin: our writes fail with EPIPE, and the SIGPIPE
// that comes with them must not end this process (it does not ignore SIGPIPE).
BOOST_AUTO_TEST_CASE(writing_to_a_closed_stdin_does_not_raise_sigpipe) {
  auto ev = std::make_shared<recorder>();
  process_loop loop;
  auto h = loop.spawn(sh("exec 0<&-; echo ready; exec sleep 60"), ev);
  BOOST_REQUIRE(ev->wait_out(1));
  for (int i = 0; i < 50; ++i) loop.write(h, std::string(4096, 'x') + "\n");
  std::this_thread::sleep_for(200ms);  // the loop thread has written (and failed) by now
  loop.stop(h, 100);
  BOOST_TEST(ev->wait_exit());
  BOOST_TEST(ev->out()[0] == "ready");
}
