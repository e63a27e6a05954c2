#include "http/guarded_socket.hpp"

#include <sys/socket.h>

#include <atomic>
#include <unordered_map>

namespace troupe::http {

namespace asio = restinio::asio_ns;
using error_code = asio::error_code;
using tcp_socket = asio::ip::tcp::socket;

namespace {

intake_config& config() {
  static intake_config c;
  return c;
}

std::atomic<std::uint64_t> next_id{1};
std::mutex registry_mu;
std::unordered_map<std::uint64_t, std::weak_ptr<intake_link>>& registry() {
  static std::unordered_map<std::uint64_t, std::weak_ptr<intake_link>> r;
  return r;
}

constexpr std::size_t read_chunk = 16 << 10;
constexpr std::size_t reads_per_wakeup = 4;  // then wait again: fair to other connections

// After a refusal: the error is written, the write side shut; what the client
// still sends is read and dropped for up to a second, then the socket closes.
// Closing at once would reset the connection and the client could lose the
// answer it has not read yet.
class lingering_close : public std::enable_shared_from_this<lingering_close> {
 public:
  explicit lingering_close(tcp_socket s)
      : strand_(asio::make_strand(s.get_executor())), sock_(std::move(s)), timer_(strand_) {}

  void start() {
    error_code ec;
    sock_.shutdown(tcp_socket::shutdown_send, ec);
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = shared_from_this()](const error_code&) { self->finish(); });
    wait();
  }

 private:
  void wait() {
    sock_.async_wait(tcp_socket::wait_read,
                     asio::bind_executor(strand_, [self = shared_from_this()](const error_code& ec) {
                       if (!ec) self->drain();
                     }));
  }
  void drain() {
    char buf[read_chunk];
    for (;;) {
      error_code ec;
      auto n = sock_.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::would_block) return wait();
      if (ec || (drained_ += n) > (4u << 20)) return finish();
    }
  }
  void finish() {
    error_code ec;
    timer_.cancel();
    sock_.close(ec);
  }

  asio::strand<asio::any_io_executor> strand_;
  tcp_socket sock_;
  asio::steady_timer timer_;
  std::size_t drained_ = 0;
};

}  // namespace

void set_intake_config(intake_config c) { config() = std::move(c); }

// One connection's intake: the gate, RESTinio's read in waiting, the request
// timer. Runs on the connection's strand; `mu` guards the socket pointer and
// descriptor against abort() and the socket's destruction on other threads.
class intake_link : public std::enable_shared_from_this<intake_link> {
 public:
  using reader = std::function<void(const error_code&, std::size_t)>;
  using strand_poster = std::function<void(std::function<void()>)>;
  using waiter = std::function<void(tcp_socket&, std::function<void(const error_code&)>)>;

  intake_link(std::uint64_t id, tcp_socket* s, strand_poster post, waiter wait)
      : id_(id), gate_(config().limits, config().budget.get(), id), timer_(s->get_executor()),
        post_(std::move(post)), wait_(std::move(wait)), socket_(s), fd_(s->native_handle()) {
    error_code ec;
    s->non_blocking(true, ec);  // reads happen once the socket is readable
  }

  ~intake_link() {
    std::lock_guard<std::mutex> g{registry_mu};
    registry().erase(id_);
  }

  std::uint64_t id() const { return id_; }

  void read(asio::mutable_buffer buf, reader r) {
    buf_ = buf;
    pending_ = std::move(r);
    // Never complete inside the initiating call: post.
    if (gate_.has_output()) {
      post_([self = shared_from_this()] {
        if (self->pending_ && self->gate_.has_output()) self->deliver();
      });
    } else if (input_ended_ && !gate_.refused()) {
      post_([self = shared_from_this()] {
        if (self->pending_) self->finish(self->end_, 0);
      });
    } else if (!input_ended_) {
      await_input();
    }  // else: refused and the client is done: held until close
  }

  // RESTinio cancels or closes: a read held by us ends with operation_aborted.
  void release_reader() {
    post_([self = shared_from_this()] {
      if (self->pending_) self->finish(asio::error::operation_aborted, 0);
    });
  }

  // The socket closes or goes: no more reads through it.
  void detach() {
    {
      std::lock_guard<std::mutex> g{mu_};
      socket_ = nullptr;
      fd_ = -1;
    }
    post_([self = shared_from_this()] { self->timer_.cancel(); });
  }

  void moved_to(tcp_socket* s) {
    std::lock_guard<std::mutex> g{mu_};
    socket_ = s;
  }

  bool refused() const { return gate_.refused(); }

  void abort() {
    std::lock_guard<std::mutex> g{mu_};
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  void await_input() {
    if (waiting_) return;
    std::lock_guard<std::mutex> g{mu_};
    if (!socket_) return;
    waiting_ = true;
    wait_(*socket_, [self = shared_from_this()](const error_code& ec) { self->on_readable(ec); });
  }

  void on_readable(const error_code& ec) {
    waiting_ = false;
    if (ec) {
      if (pending_) finish(ec, 0);
      return;
    }
    if (!read_input()) {
      if (pending_) finish(asio::error::operation_aborted, 0);
      return;
    }
    update_timer();
    if (gate_.has_output()) {
      if (pending_) deliver();
    } else if (input_ended_) {
      if (pending_ && !gate_.refused()) finish(end_, 0);
    } else if (pending_ || gate_.refused()) {
      await_input();  // more of a request to come, or input to drain
    }
  }

  // Reads what the socket has into the gate (or drops it after a refusal).
  // False when the socket is gone.
  bool read_input() {
    char buf[read_chunk];
    auto now = intake_gate::clock::now();
    std::lock_guard<std::mutex> g{mu_};
    if (!socket_) return false;
    for (std::size_t i = 0; i < reads_per_wakeup && !gate_.has_output(); ++i) {
      error_code ec;
      auto n = socket_->read_some(asio::buffer(buf), ec);
      if (ec == asio::error::would_block) break;
      if (ec) {
        input_ended_ = true;
        end_ = ec;
        break;
      }
      if (!gate_.refused()) gate_.feed(buf, n, now);
    }
    return true;
  }

  void deliver() {
    auto n = gate_.take(static_cast<char*>(buf_.data()), buf_.size());
    finish({}, n);
  }

  void finish(const error_code& ec, std::size_t n) {
    auto r = std::move(pending_);
    pending_ = nullptr;
    r(ec, n);
  }

  void update_timer() {
    auto d = gate_.deadline();
    if (d && (!timer_at_ || *timer_at_ != *d)) {
      timer_at_ = d;
      timer_.expires_at(*d);
      timer_.async_wait([w = weak_from_this()](const error_code& ec) {
        if (ec) return;
        if (auto self = w.lock()) self->post_([self] { self->on_timer(); });
      });
    } else if (!d && timer_at_) {
      timer_at_.reset();
      timer_.cancel();
    }
  }

  void on_timer() {
    timer_at_.reset();
    if (gate_.expire(intake_gate::clock::now())) {
      if (pending_) deliver();
      return;
    }
    update_timer();
  }

  const std::uint64_t id_;
  intake_gate gate_;
  asio::steady_timer timer_;
  std::optional<intake_gate::clock::time_point> timer_at_;
  strand_poster post_;
  waiter wait_;
  reader pending_;  // RESTinio's read, waiting for a whole request
  asio::mutable_buffer buf_;
  bool waiting_ = false;  // an async_wait is out
  bool input_ended_ = false;
  error_code end_;

  mutable std::mutex mu_;
  tcp_socket* socket_;
  int fd_;
};

bool abort_connection(std::uint64_t id) {
  std::shared_ptr<intake_link> link;
  {
    std::lock_guard<std::mutex> g{registry_mu};
    auto it = registry().find(id);
    if (it != registry().end()) link = it->second.lock();
  }
  if (!link) return false;
  link->abort();
  return true;
}

guarded_socket::guarded_socket(guarded_socket&& other) noexcept
    : base(std::move(other)), link_(std::move(other.link_)) {
  if (link_) link_->moved_to(this);
}

guarded_socket& guarded_socket::operator=(guarded_socket&& other) noexcept {
  detach();
  base::operator=(std::move(other));
  link_ = std::move(other.link_);
  if (link_) link_->moved_to(this);
  return *this;
}

guarded_socket::~guarded_socket() { detach(); }

void guarded_socket::start_read(asio::mutable_buffer buf, reader r, strand_poster post, waiter wait) {
  if (!link_) {
    auto id = next_id++;
    link_ = std::make_shared<intake_link>(id, this, std::move(post), std::move(wait));
    std::lock_guard<std::mutex> g{registry_mu};
    registry()[id] = link_;
  }
  link_->read(buf, std::move(r));
}

bool guarded_socket::detach() {
  if (!link_) return false;
  bool refused = link_->refused();
  link_->release_reader();
  link_->detach();
  link_.reset();
  return refused;
}

void guarded_socket::cancel(error_code& ec) {
  base::cancel(ec);
  if (link_) link_->release_reader();
}

void guarded_socket::shutdown(shutdown_type what, error_code& ec) {
  // After a refusal only the write side: the lingering close reads the rest.
  if (link_ && link_->refused()) what = shutdown_send;
  base::shutdown(what, ec);
}

void guarded_socket::close() {
  error_code ec;
  close(ec);
}

void guarded_socket::close(error_code& ec) {
  bool refused = detach();
  if (refused && is_open()) {
    base::cancel(ec);
    std::make_shared<lingering_close>(std::move(static_cast<base&>(*this)))->start();
    ec = {};
    return;
  }
  base::close(ec);
}

}  // namespace troupe::http
