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
// still sends is read and dropped (up to 2 s and 32 MiB: a whole upload the
// body limit refused, usually), then the socket closes.
// Closing at once would reset the connection and the client could lose the
// answer it has not read yet.
class lingering_close : public std::enable_shared_from_this<lingering_close> {
 public:
  explicit lingering_close(tcp_socket s)
      : strand_(asio::make_strand(s.get_executor())), sock_(std::move(s)), timer_(strand_) {}

  void start() {
    error_code ec;
    sock_.shutdown(tcp_socket::shutdown_send, ec);
    timer_.expires_after(std::chrono::seconds(2));
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
      if (ec || (drained_ += n) > (32u << 20)) return finish();
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

// One connection's intake: the gate, the request timer, the waits for input.
// Runs on the connection's strand; `mu_` guards the socket pointer and the
// descriptor against abort() and the socket's destruction on other threads.
// RESTinio's read handler (which holds its connection) always lives inside
// an asio operation (a wait, a post, a timer), never in the link: the link
// belongs to the connection's socket, so holding it here would be a cycle
// that outlives the io_context.
class intake_link : public std::enable_shared_from_this<intake_link> {
 public:
  using reader = std::function<void(const error_code&, std::size_t)>;
  using strand_poster = std::function<void(std::function<void()>)>;
  using waiter =
      std::function<void(tcp_socket&, asio::cancellation_slot, std::function<void(const error_code&)>)>;

  intake_link(std::uint64_t id, tcp_socket* s, strand_poster post, waiter wait)
      : id_(id), gate_(config().limits, config().budget.get(), id), deadline_(s->get_executor()),
        parking_(s->get_executor()), post_(std::move(post)), wait_(std::move(wait)), socket_(s),
        fd_(s->native_handle()) {
    error_code ec;
    s->non_blocking(true, ec);  // reads happen once the socket is readable
  }

  ~intake_link() {
    std::lock_guard<std::mutex> g{registry_mu};
    registry().erase(id_);
  }

  // RESTinio's async_read_some. Never completes inside this call.
  void read(asio::mutable_buffer buf, reader r) {
    buf_ = buf;
    if (gate_.has_output()) {
      post_([self = shared_from_this(), r = std::move(r)]() mutable { self->deliver(r); });
    } else if (input_ended_ && !gate_.refused()) {
      post_([r = std::move(r), ec = end_]() mutable { r(ec, 0); });
    } else if (input_ended_) {
      park(std::move(r));  // refused and the client is done: until RESTinio closes
    } else {
      await_input(std::move(r));
    }
  }

  // RESTinio cancels or closes: a parked read ends (a waiting one is
  // cancelled with the socket's operations).
  void release_parked() {
    post_([self = shared_from_this()] { self->parking_.cancel(); });
  }

  // The socket closes or goes: no more reads through it.
  void detach() {
    {
      std::lock_guard<std::mutex> g{mu_};
      socket_ = nullptr;
      fd_ = -1;
    }
    post_([self = shared_from_this()] {
      self->deadline_.cancel();
      self->parking_.cancel();
    });
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
  void await_input(reader r) {
    std::lock_guard<std::mutex> g{mu_};
    if (!socket_) {
      post_([r = std::move(r)]() mutable { r(asio::error::operation_aborted, 0); });
      return;
    }
    waiting_ = true;
    auto woke = [self = shared_from_this(), r = std::move(r)](const error_code& ec) mutable {
      self->on_readable(ec, r);
    };
    wait_(*socket_, wake_.slot(), std::move(woke));
  }

  void on_readable(const error_code& ec, reader& r) {
    waiting_ = false;
    if (ec == asio::error::operation_aborted && woken_for_timeout_) {
      woken_for_timeout_ = false;  // the request timed out while we waited: answer it
      if (gate_.has_output()) return deliver(r);
    }
    if (ec) return r(ec, 0);
    if (!read_input()) return r(asio::error::operation_aborted, 0);
    update_deadline();
    if (gate_.has_output()) return deliver(r);
    if (!input_ended_) return await_input(std::move(r));  // more of a request to come
    if (gate_.refused()) return park(std::move(r));
    r(end_, 0);
  }

  // Reads what the socket has into the gate (dropped after a refusal).
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

  void deliver(reader& r) {
    auto n = gate_.take(static_cast<char*>(buf_.data()), buf_.size());
    r({}, n);
  }

  // A read that has nothing to wait for: it ends with operation_aborted when
  // RESTinio cancels or closes (parking_ is cancelled then).
  void park(reader r) {
    parking_.expires_at(asio::steady_timer::time_point::max());
    parking_.async_wait([self = shared_from_this(), r = std::move(r)](const error_code&) mutable {
      self->post_([r = std::move(r)]() mutable { r(asio::error::operation_aborted, 0); });
    });
  }

  void update_deadline() {
    auto d = gate_.deadline();
    if (d && (!deadline_at_ || *deadline_at_ != *d)) {
      deadline_at_ = d;
      deadline_.expires_at(*d);
      deadline_.async_wait([w = weak_from_this()](const error_code& ec) {
        if (ec) return;
        if (auto self = w.lock()) self->post_([self] { self->on_deadline(); });
      });
    } else if (!d && deadline_at_) {
      deadline_at_.reset();
      deadline_.cancel();
    }
  }

  void on_deadline() {
    deadline_at_.reset();
    if (!gate_.expire(intake_gate::clock::now())) return update_deadline();
    // RESTinio waits for input: wake its read to hand it the 408 now.
    // (Otherwise its next read finds it.)
    if (waiting_) {
      woken_for_timeout_ = true;
      wake_.emit(asio::cancellation_type::all);
    }
  }

  const std::uint64_t id_;
  intake_gate gate_;
  asio::steady_timer deadline_;  // of the request under way
  std::optional<intake_gate::clock::time_point> deadline_at_;
  asio::steady_timer parking_;
  asio::cancellation_signal wake_;  // cancels just our wait, not RESTinio's writes
  strand_poster post_;
  waiter wait_;
  asio::mutable_buffer buf_;  // RESTinio's, for the read in progress
  bool waiting_ = false;
  bool woken_for_timeout_ = false;
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

void guarded_socket::make_link(strand_poster post, waiter wait) {
  auto id = next_id++;
  link_ = std::make_shared<intake_link>(id, this, std::move(post), std::move(wait));
  std::lock_guard<std::mutex> g{registry_mu};
  registry()[id] = link_;
}

void guarded_socket::start_read(asio::mutable_buffer buf, reader r) { link_->read(buf, std::move(r)); }

void guarded_socket::detach() {
  if (!link_) return;
  link_->detach();
  link_.reset();
}

void guarded_socket::cancel(error_code& ec) {
  base::cancel(ec);
  if (link_) link_->release_parked();
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
  bool refused = link_ && link_->refused();  // on the strand, as RESTinio closes
  detach();
  if (refused && is_open()) {
    base::cancel(ec);
    std::make_shared<lingering_close>(std::move(static_cast<base&>(*this)))->start();
    ec = {};
    return;
  }
  base::close(ec);
}

}  // namespace troupe::http
