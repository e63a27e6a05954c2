#include "actors/providers/curl_loop.hpp"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace troupe::actors {

namespace {

using clock = std::chrono::steady_clock;

// One running transfer; owns its easy handle and header list.
struct transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  http_post post;
  std::shared_ptr<http_exchange> ex;
  response_head head;
  bool head_sent = false;
  bool aborted = false;  // our callback said stop
  char error[CURL_ERROR_SIZE] = {};

  ~transfer() {
    if (easy) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
  }

  void send_head() {
    if (head_sent) return;
    head_sent = true;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &head.status);
    ex->on_head(head);
  }
};

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

std::string header_value(std::string_view line, std::size_t name_len) {
  auto v = line.substr(name_len);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
  return std::string(v);
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  std::string_view line(data, size * n);
  if (starts_with_nocase(line, "http/")) {
    t->head = {};  // a new response block (after a 1xx)
  } else if (line == "\r\n" || line == "\n") {
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200) t->send_head();
  } else if (starts_with_nocase(line, "content-type:")) {
    t->head.content_type = header_value(line, 13);
  } else if (starts_with_nocase(line, "retry-after:")) {
    t->head.retry_after = header_value(line, 12);
  } else if (starts_with_nocase(line, "mcp-session-id:")) {
    t->head.mcp_session_id = header_value(line, 15);
  } else if (starts_with_nocase(line, "location:")) {
    t->head.location = header_value(line, 9);
  }
  return size * n;
}

std::size_t on_write(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  t->send_head();
  if (!t->ex->on_body(std::string_view(data, size * n))) {
    t->aborted = true;
    return 0;  // CURLE_WRITE_ERROR ends the transfer
  }
  return size * n;
}

transfer_end end_of(const transfer& t, CURLcode rc) {
  using k = transfer_end::kind;
  if (t.aborted) return {k::aborted, "aborted"};
  if (rc == CURLE_OK) return {k::completed, {}};
  std::string detail = t.error[0] ? t.error : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_OPERATION_TIMEDOUT:  // only the connect timeout is curl's; ours is the sweep
      return {k::connect_failed, detail};
    default:
      return {k::broken, detail};
  }
}

}  // namespace

struct curl_loop::impl {
  // Handed over by other threads, added to the multi handle by the I/O thread.
  using queued_transfers = std::vector<std::pair<http_post, std::shared_ptr<http_exchange>>>;

  CURLM* multi = nullptr;
  int epfd = -1;
  int wakefd = -1;
  std::thread thread;

  std::mutex mu;  // guards queue and stopping
  queued_transfers queue;
  bool stopping = false;

  // I/O thread only:
  std::unordered_map<CURL*, std::unique_ptr<transfer>> active;
  std::optional<clock::time_point> curl_timer;  // when curl wants socket_action(TIMEOUT)

  impl() {
    static std::once_flag global;
    std::call_once(global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi = curl_multi_init();
    epfd = epoll_create1(EPOLL_CLOEXEC);
    wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!multi || epfd < 0 || wakefd < 0) throw std::runtime_error("cannot set up the upstream I/O");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wakefd;
    epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &ev);
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &impl::on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &impl::on_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    // Idle keep-alive connections kept for reuse (HTTP/2 multiplexes on top).
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 1024L);
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    thread = std::thread([this] { run(); });
  }

  ~impl() {
    {
      std::lock_guard<std::mutex> g{mu};
      stopping = true;
    }
    wake();
    thread.join();
    curl_multi_cleanup(multi);
    close(epfd);
    close(wakefd);
  }

  void wake() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = write(wakefd, &one, sizeof one);
  }

  static int on_socket(CURL*, curl_socket_t s, int what, void* user, void*) {
    auto* self = static_cast<impl*>(user);
    if (what == CURL_POLL_REMOVE) {
      epoll_ctl(self->epfd, EPOLL_CTL_DEL, s, nullptr);
      return 0;
    }
    epoll_event ev{};
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    ev.data.fd = s;
    if (epoll_ctl(self->epfd, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT)
      epoll_ctl(self->epfd, EPOLL_CTL_ADD, s, &ev);
    return 0;
  }

  static int on_timer(CURLM*, long timeout_ms, void* user) {
    auto* self = static_cast<impl*>(user);
    if (timeout_ms < 0)
      self->curl_timer.reset();
    else
      self->curl_timer = clock::now() + std::chrono::milliseconds(timeout_ms);
    return 0;
  }

  void add(http_post post, std::shared_ptr<http_exchange> ex) {
    auto t = std::make_unique<transfer>();
    t->post = std::move(post);
    t->ex = std::move(ex);
    t->easy = curl_easy_init();
    if (!t->easy) {
      t->ex->on_end({transfer_end::kind::broken, "curl_easy_init failed"});
      return;
    }
    for (auto& h : t->post.headers) t->headers = curl_slist_append(t->headers, h.c_str());
    auto* e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->post.url.c_str());
    if (t->post.body) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->post.body->size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->post.body->data());
    } else {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, t->post.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    active.emplace(e, std::move(t));
    curl_multi_add_handle(multi, e);
  }

  // Removes a transfer and tells its exchange how it ended.
  void finish(CURL* e, const transfer_end& end) {
    auto it = active.find(e);
    if (it == active.end()) return;
    auto t = std::move(it->second);
    active.erase(it);
    curl_multi_remove_handle(multi, e);
    if (end.how == transfer_end::kind::completed) t->send_head();
    t->ex->on_end(end);
  }

  void collect_done() {
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      auto it = active.find(m->easy_handle);
      if (it != active.end()) finish(m->easy_handle, end_of(*it->second, m->data.result));
    }
  }

  void sweep(clock::time_point now) {
    std::vector<CURL*> unwanted;
    for (auto& [e, t] : active)
      if (!t->ex->still_wanted(now)) unwanted.push_back(e);
    for (auto* e : unwanted) finish(e, {transfer_end::kind::aborted, "no longer wanted"});
  }

  // Takes the queued transfers; false once the loop should stop.
  bool take_queue() {
    queued_transfers q;
    {
      std::lock_guard<std::mutex> g{mu};
      if (stopping) return false;
      q.swap(queue);
    }
    for (auto& [post, ex] : q) add(std::move(post), std::move(ex));
    return true;
  }

  int wait_ms(clock::time_point now, clock::time_point next_sweep) const {
    auto until = next_sweep;
    if (curl_timer) until = std::min(until, *curl_timer);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
    return static_cast<int>(std::clamp<std::int64_t>(ms, 0, sweep_interval.count()));
  }

  void run() {
    constexpr int max_events = 256;
    epoll_event events[max_events];
    int running = 0;
    auto next_sweep = clock::now() + sweep_interval;
    while (take_queue()) {
      int n = epoll_wait(epfd, events, max_events, wait_ms(clock::now(), next_sweep));
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == wakefd) {
          std::uint64_t v;
          [[maybe_unused]] auto r = read(wakefd, &v, sizeof v);
          continue;
        }
        int flags = (events[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                    (events[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                    (events[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(multi, fd, flags, &running);
      }
      auto now = clock::now();
      if (curl_timer && *curl_timer <= now) {
        curl_timer.reset();
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
      }
      collect_done();
      if (now >= next_sweep) {
        sweep(now);
        next_sweep = now + sweep_interval;
      }
    }
    while (!active.empty())
      finish(active.begin()->first, {transfer_end::kind::aborted, "the server is stopping"});
    queued_transfers q;
    {
      std::lock_guard<std::mutex> g{mu};
      q.swap(queue);
    }
    for (auto& [post, ex] : q) ex->on_end({transfer_end::kind::aborted, "the server is stopping"});
  }
};

curl_loop::curl_loop() : d_(std::make_unique<impl>()) {}
curl_loop::~curl_loop() = default;

void curl_loop::start(http_post post, std::shared_ptr<http_exchange> ex) {
  {
    std::lock_guard<std::mutex> g{d_->mu};
    if (d_->stopping) {
      ex->on_end({transfer_end::kind::aborted, "the server is stopping"});
      return;
    }
    d_->queue.emplace_back(std::move(post), std::move(ex));
  }
  d_->wake();
}

}  // namespace troupe::actors
