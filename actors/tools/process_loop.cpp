#include "actors/tools/process_loop.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

extern char** environ;

namespace troupe::actors {

namespace {

using clock = std::chrono::steady_clock;

void nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// argv/envp built before fork: the child may only make async-signal-safe calls.
struct exec_args {
  std::vector<std::string> strings;
  std::vector<char*> argv, envp;

  explicit exec_args(const process_spec& s) {
    strings.push_back(s.command);
    for (auto& a : s.args) strings.push_back(a);
    auto argc = strings.size();
    std::vector<std::string> overridden;
    for (auto& [k, v] : s.env) {
      strings.push_back(k + "=" + v);
      overridden.push_back(k + "=");
    }
    for (char** e = environ; e && *e; ++e) {
      std::string_view entry(*e);
      bool replaced = false;
      for (auto& o : overridden) replaced = replaced || entry.rfind(o, 0) == 0;
      if (!replaced) strings.emplace_back(entry);
    }
    for (std::size_t i = 0; i < strings.size(); ++i)
      (i < argc ? argv : envp).push_back(strings[i].data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
  }
};

}  // namespace

struct process_loop::impl {
  struct child {
    std::uint64_t handle = 0;
    pid_t pid = -1;
    int in = -1, out = -1, err = -1, pidfd = -1;
    std::string out_buf, err_buf, to_write;
    std::shared_ptr<process_events> ev;
    std::optional<clock::time_point> kill_at;
  };
  struct command {
    enum class kind { spawn, write, stop } k;
    std::uint64_t handle = 0;
    process_spec spec;
    std::shared_ptr<process_events> ev;
    std::string bytes;
    int grace_ms = 0;
  };

  int epoll = epoll_create1(EPOLL_CLOEXEC);
  int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  std::mutex mu;
  std::deque<command> queue;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> next_handle{1};
  std::unordered_map<std::uint64_t, child> children;
  std::unordered_map<int, std::uint64_t> by_fd;
  std::thread thread;

  impl() {
    watch(wake, 0, EPOLLIN);
    thread = std::thread([this] { run(); });
  }

  ~impl() {
    stopping = true;
    poke();
    thread.join();
    close(wake);
    close(epoll);
  }

  void poke() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake, &one, sizeof one);
  }

  void push(command c) {
    {
      std::lock_guard<std::mutex> g{mu};
      queue.push_back(std::move(c));
    }
    poke();
  }

  void watch(int fd, std::uint64_t handle, std::uint32_t events) {
    epoll_event e{};
    e.events = events;
    e.data.fd = fd;
    epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &e);
    if (fd != wake) by_fd[fd] = handle;
  }

  void unwatch(int& fd) {
    if (fd < 0) return;
    epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr);
    by_fd.erase(fd);
    close(fd);
    fd = -1;
  }

  void start(command& c) {
    child ch;
    ch.handle = c.handle;
    ch.ev = c.ev;
    int in[2], out[2], err[2], report[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) ||
        pipe2(report, O_CLOEXEC)) {
      ch.ev->on_exit(-1, std::string("pipe: ") + std::strerror(errno));
      return;
    }
    exec_args a(c.spec);
    const char* cwd = c.spec.cwd.empty() ? nullptr : c.spec.cwd.c_str();
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {  // the child: async-signal-safe calls only
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      int keep = report[1];
      for (int fd = 3; fd < 1024; ++fd)  // no inherited sockets or database files
        if (fd != keep) close(fd);
      syscall(SYS_close_range, 1024u, ~0u, 0u);
      int e = 0;
      if (cwd && chdir(cwd) != 0) e = errno;
      if (!e) {
        execvpe(a.argv[0], a.argv.data(), a.envp.data());
        e = errno;
      }
      [[maybe_unused]] auto n = ::write(keep, &e, sizeof e);
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    close(report[1]);
    int failed = 0;
    bool exec_failed = pid > 0 && ::read(report[0], &failed, sizeof failed) == sizeof failed;
    close(report[0]);
    if (pid < 0 || exec_failed) {
      close(in[1]);
      close(out[0]);
      close(err[0]);
      if (pid > 0) waitpid(pid, nullptr, 0);
      ch.ev->on_exit(-1, "cannot start '" + c.spec.command + "': " +
                             std::strerror(pid < 0 ? errno : failed));
      return;
    }
    ch.pid = pid;
    ch.in = in[1];
    ch.out = out[0];
    ch.err = err[0];
    ch.pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    for (int fd : {ch.in, ch.out, ch.err}) nonblocking(fd);
    watch(ch.out, ch.handle, EPOLLIN);
    watch(ch.err, ch.handle, EPOLLIN);
    if (ch.pidfd >= 0) watch(ch.pidfd, ch.handle, EPOLLIN);
    children.emplace(ch.handle, std::move(ch));
  }

  void flush(child& ch) {
    while (!ch.to_write.empty() && ch.in >= 0) {
      auto n = ::write(ch.in, ch.to_write.data(), ch.to_write.size());
      if (n > 0) {
        ch.to_write.erase(0, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EAGAIN) {
        epoll_event e{};
        e.events = EPOLLOUT;
        e.data.fd = ch.in;
        if (epoll_ctl(epoll, EPOLL_CTL_MOD, ch.in, &e) != 0) watch(ch.in, ch.handle, EPOLLOUT);
        return;
      }
      ch.to_write.clear();  // EPIPE: the child closed stdin; its exit will follow
    }
    if (ch.in >= 0 && by_fd.count(ch.in)) {
      epoll_ctl(epoll, EPOLL_CTL_DEL, ch.in, nullptr);
      by_fd.erase(ch.in);
    }
  }

  // Reads what is there; lines go to the events. False at EOF or on garbage.
  bool drain(child& ch, int& fd, std::string& buf, bool is_out) {
    char chunk[65536];
    for (;;) {
      auto n = ::read(fd, chunk, sizeof chunk);
      if (n > 0) {
        buf.append(chunk, static_cast<std::size_t>(n));
        std::size_t start = 0, nl;
        while ((nl = buf.find('\n', start)) != std::string::npos) {
          std::string_view line(buf.data() + start, nl - start);
          if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
          if (is_out) ch.ev->on_stdout_line(line);
          else ch.ev->on_stderr_line(line);
          start = nl + 1;
        }
        buf.erase(0, start);
        if (buf.size() > max_line_bytes) return false;
        continue;
      }
      if (n < 0 && errno == EAGAIN) return true;
      return false;  // EOF or error
    }
  }

  void terminate(child& ch, int grace_ms) {
    if (ch.pid > 0) kill(-ch.pid, SIGTERM);
    if (ch.in >= 0) unwatch(ch.in);  // stdin closes too: a server notices its end
    auto at = clock::now() + std::chrono::milliseconds(grace_ms);
    if (!ch.kill_at || at < *ch.kill_at) ch.kill_at = at;
  }

  void reap(child& ch) {
    int status = 0;
    if (waitpid(ch.pid, &status, WNOHANG) != ch.pid) return;
    if (ch.out >= 0) drain(ch, ch.out, ch.out_buf, true);
    if (ch.err >= 0) drain(ch, ch.err, ch.err_buf, false);
    kill(-ch.pid, SIGKILL);  // what the child left running in its group goes too
    for (int* fd : {&ch.in, &ch.out, &ch.err, &ch.pidfd}) unwatch(*fd);
    auto ev = ch.ev;
    children.erase(ch.handle);
    ev->on_exit(status, {});
  }

  void handle(int fd, std::uint32_t events) {
    auto it = by_fd.find(fd);
    if (it == by_fd.end()) return;
    auto c = children.find(it->second);
    if (c == children.end()) return;
    auto& ch = c->second;
    if (fd == ch.pidfd) return reap(ch);
    if (fd == ch.in && (events & (EPOLLOUT | EPOLLERR))) return flush(ch);
    bool out = fd == ch.out;
    if (!drain(ch, out ? ch.out : ch.err, out ? ch.out_buf : ch.err_buf, out)) {
      unwatch(out ? ch.out : ch.err);
      if (out) terminate(ch, 200);  // no stdout: it cannot answer any more
    }
  }

  void run_commands() {
    std::deque<command> batch;
    {
      std::lock_guard<std::mutex> g{mu};
      batch.swap(queue);
    }
    for (auto& c : batch) {
      if (c.k == command::kind::spawn) {
        if (stopping) c.ev->on_exit(-1, "the server is stopping");
        else start(c);
        continue;
      }
      auto it = children.find(c.handle);
      if (it == children.end()) continue;
      if (c.k == command::kind::write) {
        it->second.to_write += c.bytes;
        flush(it->second);
      } else {
        terminate(it->second, c.grace_ms);
      }
    }
  }

  void run() {
    // A child that closed its stdin makes our write fail with EPIPE (handled);
    // the SIGPIPE that comes with it must not end Troupe.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    bool terminating = false;
    clock::time_point give_up{};
    for (;;) {
      if (stopping && !terminating) {
        terminating = true;
        for (auto& [h, ch] : children) terminate(ch, 1500);
        give_up = clock::now() + std::chrono::milliseconds(3000);
      }
      if (terminating && (children.empty() || clock::now() > give_up)) break;
      epoll_event events[32];
      int n = epoll_wait(epoll, events, 32, 50);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == wake) {
          std::uint64_t v;
          while (::read(wake, &v, sizeof v) > 0) {
          }
          run_commands();
        } else {
          handle(events[i].data.fd, events[i].events);
        }
      }
      auto now = clock::now();
      for (auto& [h, ch] : children)
        if (ch.kill_at && now >= *ch.kill_at) {
          kill(-ch.pid, SIGKILL);
          ch.kill_at.reset();
        }
      if (n == 0) {  // no pidfd (old kernel): poll for exits
        std::vector<std::uint64_t> all;
        for (auto& [h, ch] : children)
          if (ch.pidfd < 0) all.push_back(h);
        for (auto h : all) reap(children.at(h));
      }
    }
    for (auto& [h, ch] : children) {  // still there after the grace: gone now
      kill(-ch.pid, SIGKILL);
      waitpid(ch.pid, nullptr, 0);
      ch.ev->on_exit(SIGKILL, "stopped with the server");
    }
  }
};

process_loop::process_loop() : d_(std::make_unique<impl>()) {}
process_loop::~process_loop() = default;

std::uint64_t process_loop::spawn(process_spec spec, std::shared_ptr<process_events> events) {
  impl::command c;
  c.k = impl::command::kind::spawn;
  c.handle = d_->next_handle++;
  c.spec = std::move(spec);
  c.ev = std::move(events);
  auto h = c.handle;
  d_->push(std::move(c));
  return h;
}

void process_loop::write(std::uint64_t handle, std::string bytes) {
  impl::command c;
  c.k = impl::command::kind::write;
  c.handle = handle;
  c.bytes = std::move(bytes);
  d_->push(std::move(c));
}

void process_loop::stop(std::uint64_t handle, int grace_ms) {
  impl::command c;
  c.k = impl::command::kind::stop;
  c.handle = handle;
  c.grace_ms = grace_ms;
  d_->push(std::move(c));
}

}  // namespace troupe::actors
