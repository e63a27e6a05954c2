#pragma once
// One I/O thread that runs every upstream HTTP exchange through libcurl's
// multi interface (epoll + curl_multi_socket_action): no thread per call, and
// connections are kept alive and reused across calls. Other threads only queue
// work; what arrives is handed to each exchange's callbacks on that thread.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::actors {

struct response_head {
  long status = 0;
  std::string content_type;
  std::string retry_after;
  std::string mcp_session_id;  // Mcp-Session-Id (MCP's Streamable HTTP)
  std::string location;        // a redirect's target
};

struct transfer_end {
  enum class kind {
    completed,       // a whole response arrived (any status)
    connect_failed,  // no connection: refused, DNS, connect timeout
    broken,          // the connection failed during the exchange
    aborted,         // the exchange asked to stop, or the loop is shutting down
  };
  kind how = kind::completed;
  std::string detail;  // curl's words when it failed
};

// What one exchange does with what arrives. Called on the I/O thread only,
// so an exchange needs no locking of its own.
class http_exchange {
 public:
  virtual ~http_exchange() = default;
  // The status line and headers, once, before any body bytes.
  virtual void on_head(const response_head& head) = 0;
  // Body bytes as they arrive; false aborts the transfer.
  virtual bool on_body(std::string_view bytes) = 0;
  // Polled about every 100 ms; false aborts (client gone, deadline passed).
  virtual bool still_wanted(std::chrono::steady_clock::time_point now) = 0;
  // Exactly once, last.
  virtual void on_end(const transfer_end& end) = 0;
};

struct http_post {
  std::string url;
  std::shared_ptr<const std::string> body;  // shared by the retries of one call; null: a GET
  std::vector<std::string> headers;         // "Name: value"
  long connect_timeout_ms = 10000;
};

class curl_loop {
 public:
  // How often exchanges are asked still_wanted(): cancellation latency.
  static constexpr std::chrono::milliseconds sweep_interval{100};

  curl_loop();
  // Aborts what still runs (each gets on_end(aborted)), then joins the thread.
  ~curl_loop();
  curl_loop(const curl_loop&) = delete;
  curl_loop& operator=(const curl_loop&) = delete;

  // Thread-safe; never blocks on I/O.
  void start(http_post post, std::shared_ptr<http_exchange> ex);

 private:
  struct impl;
  std::unique_ptr<impl> d_;
};

}  // namespace troupe::actors
