#pragma once
// The server's socket type (server_traits::stream_socket_t): asio's TCP
// socket, with an intake_gate between the client and RESTinio's reads.
//
// RESTinio reads through async_read_some(); this one waits until the socket
// is readable, reads what is there into the gate (no buffer is held while a
// connection idles), and completes RESTinio's read only with whole requests
// that passed, or with the stand-in for one that did not. A timer per
// connection turns a request not complete within --read-timeout-s of its
// first byte into a 408. After a refusal the input is drained and discarded,
// and close() lingers (write side shut, input drained for up to a second) so
// that the client reads the error instead of a reset. Everything runs on the
// connection's strand, taken from the handler RESTinio passes.
#include <functional>
#include <memory>
#include <mutex>

#include <restinio/all.hpp>

#include "http/intake_gate.hpp"

namespace troupe::http {

// Shared by every connection: RESTinio constructs the sockets itself.
struct intake_config {
  intake_limits limits;
  std::shared_ptr<body_budget> budget;
};
void set_intake_config(intake_config c);

// Closes connection `id` (from an intake_note) at once: its pending writes
// fail and RESTinio drops it. False when it is already gone. Any thread.
bool abort_connection(std::uint64_t id);

class intake_link;

class guarded_socket : public restinio::asio_ns::ip::tcp::socket {
  using base = restinio::asio_ns::ip::tcp::socket;

 public:
  using error_code = restinio::asio_ns::error_code;
  using base::base;
  guarded_socket(guarded_socket&& other) noexcept;
  guarded_socket& operator=(guarded_socket&& other) noexcept;
  ~guarded_socket();

  template <class MutableBuffer, class Handler>
  void async_read_some(const MutableBuffer& buffer, Handler&& handler) {
    // The strand is the connection's for its whole life: the link takes it
    // once, so a read costs no strand copies.
    if (!link_) {
      auto strand = restinio::asio_ns::get_associated_executor(handler, get_executor());
      make_link([strand](std::function<void()> f) { restinio::asio_ns::post(strand, std::move(f)); },
                [strand](base& s, restinio::asio_ns::cancellation_slot slot,
                         std::function<void(const error_code&)> f) {
                  s.async_wait(base::wait_read,
                               restinio::asio_ns::bind_cancellation_slot(
                                   slot, restinio::asio_ns::bind_executor(strand, std::move(f))));
                });
    }
    start_read(restinio::asio_ns::buffer(buffer),
               [h = std::forward<Handler>(handler)](const error_code& ec, std::size_t n) mutable {
                 h(ec, n);
               });
  }

  // What RESTinio calls besides reading (the names hide the base's).
  void cancel(error_code& ec);
  void shutdown(shutdown_type what, error_code& ec);
  void close();
  void close(error_code& ec);

 private:
  using reader = std::function<void(const error_code&, std::size_t)>;
  using strand_poster = std::function<void(std::function<void()>)>;
  using waiter = std::function<void(base&, restinio::asio_ns::cancellation_slot,
                                    std::function<void(const error_code&)>)>;

  void make_link(strand_poster post, waiter wait);
  void start_read(restinio::asio_ns::mutable_buffer buf, reader r);
  // Detaches the link from this socket (closing or gone).
  void detach();

  friend class intake_link;
  std::shared_ptr<intake_link> link_;
};

}  // namespace troupe::http
