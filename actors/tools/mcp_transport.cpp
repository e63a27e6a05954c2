#include "actors/tools/mcp_transport.hpp"

#include <fmt/format.h>

#include "domain/core/json.hpp"
#include "domain/upstream/sse_parser.hpp"
#include "domain/upstream/upstream_reply.hpp"

namespace troupe::actors::detail {

namespace {

template <class T>
void tell(const caf::actor_addr& to, T msg) {
  if (auto a = caf::actor_cast<caf::actor>(to)) caf::anon_send(a, std::move(msg));
}

class stdio_events final : public process_events {
 public:
  stdio_events(caf::actor_addr actor, std::uint64_t gen) : actor_(std::move(actor)), gen_(gen) {}
  void on_stdout_line(std::string_view line) override {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    tell(actor_, mcp_in{gen_, std::string(line)});
  }
  void on_stderr_line(std::string_view line) override {
    tell(actor_, mcp_log{gen_, std::string(line.substr(0, 2000))});
  }
  void on_exit(int status, const std::string& why) override {
    std::string text = why;
    if (text.empty())
      text = WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status))
                                 : fmt::format("exited with status {}", WEXITSTATUS(status));
    tell(actor_, mcp_gone{gen_, "the MCP server " + text});
  }

 private:
  caf::actor_addr actor_;
  std::uint64_t gen_;
};

class stdio final : public mcp_transport {
 public:
  stdio(std::shared_ptr<process_loop> loop, const domain::toolset_config& cfg,
        caf::actor_addr actor, std::uint64_t gen)
      : loop_(std::move(loop)) {
    process_spec spec{cfg.command, cfg.args, cfg.env, cfg.cwd};
    handle_ = loop_->spawn(std::move(spec), std::make_shared<stdio_events>(std::move(actor), gen));
  }
  ~stdio() override { close(); }
  void send(std::string json, std::optional<std::int64_t>,
            std::chrono::steady_clock::time_point) override {
    json += '\n';
    loop_->write(handle_, std::move(json));
  }
  void close() override {
    if (handle_) loop_->stop(handle_);
    handle_ = 0;
  }

 private:
  std::shared_ptr<process_loop> loop_;
  std::uint64_t handle_ = 0;
};

// One POST: the answer's JSON-RPC messages go to the actor at its end.
class http_call final : public http_exchange {
 public:
  http_call(caf::actor_addr actor, std::uint64_t gen, std::optional<std::int64_t> id,
            std::chrono::steady_clock::time_point deadline, bool had_session)
      : actor_(std::move(actor)), gen_(gen), id_(id), deadline_(deadline), had_session_(had_session) {}

  void on_head(const response_head& head) override {
    head_ = head;
    if (!head.mcp_session_id.empty()) tell(actor_, mcp_session{gen_, head.mcp_session_id});
  }
  bool on_body(std::string_view bytes) override {
    if (body_.size() + bytes.size() > (16u << 20)) return false;
    body_.append(bytes);
    return true;
  }
  // The server actor decides first when a call is over (and cancels it on
  // the server); the POST itself is given up a little later.
  bool still_wanted(std::chrono::steady_clock::time_point now) override {
    return now < deadline_ + std::chrono::seconds(5);
  }
  void on_end(const transfer_end& end) override {
    if (end.how != transfer_end::kind::completed)
      return tell(actor_, mcp_http_failed{gen_, id_, "the MCP endpoint failed: " + end.detail, false});
    if (head_.status == 202 || head_.status == 204) return;  // a notification taken
    if (head_.status >= 400)
      return tell(actor_, mcp_http_failed{gen_, id_,
                                          fmt::format("the MCP endpoint answered {}: {}", head_.status,
                                                      domain::upstream_error_message(body_)),
                                          head_.status == 404 && had_session_});
    if (head_.content_type.rfind("text/event-stream", 0) == 0) {
      domain::sse_parser sse;
      auto each = [&](std::string_view data) {
        // Events without data (a resumption primer, a keep-alive) carry no message.
        if (data.find_first_not_of(" \t\r\n") != std::string_view::npos)
          tell(actor_, mcp_in{gen_, std::string(data)});
        return true;
      };
      sse.feed(body_, each);
      sse.finish(each);
      return;
    }
    rapidjson::Document doc;
    doc.Parse(body_.data(), body_.size());
    if (doc.IsArray()) {  // a batch
      for (auto& m : doc.GetArray()) tell(actor_, mcp_in{gen_, domain::to_json_text(m)});
    } else if (!body_.empty()) {
      tell(actor_, mcp_in{gen_, body_});
    }
  }

 private:
  caf::actor_addr actor_;
  std::uint64_t gen_;
  std::optional<std::int64_t> id_;
  std::chrono::steady_clock::time_point deadline_;
  bool had_session_;
  response_head head_;
  std::string body_;
};

class http final : public mcp_transport {
 public:
  http(std::shared_ptr<curl_loop> loop, const domain::toolset_config& cfg, caf::actor_addr actor,
       std::uint64_t gen)
      : loop_(std::move(loop)), url_(cfg.url), actor_(std::move(actor)), gen_(gen) {
    headers_ = {"Content-Type: application/json", "Accept: application/json, text/event-stream",
                "Expect:", "User-Agent: troupe/" TROUPE_VERSION};
    for (auto& [k, v] : cfg.headers) headers_.push_back(k + ": " + v);
  }
  void set_session(const std::string& id) override { session_ = id; }
  void set_version(const std::string& version) override { version_ = version; }
  void send(std::string json, std::optional<std::int64_t> id,
            std::chrono::steady_clock::time_point deadline) override {
    http_post post;
    post.url = url_;
    post.body = std::make_shared<const std::string>(std::move(json));
    post.headers = headers_;
    if (!session_.empty()) post.headers.push_back("Mcp-Session-Id: " + session_);
    if (!version_.empty()) post.headers.push_back("MCP-Protocol-Version: " + version_);
    loop_->start(std::move(post),
                 std::make_shared<http_call>(actor_, gen_, id, deadline, !session_.empty()));
  }
  void close() override {}

 private:
  std::shared_ptr<curl_loop> loop_;
  std::string url_;
  caf::actor_addr actor_;
  std::uint64_t gen_;
  std::vector<std::string> headers_;
  std::string session_, version_;
};

}  // namespace

std::unique_ptr<mcp_transport> stdio_transport(std::shared_ptr<process_loop> loop,
                                               const domain::toolset_config& cfg,
                                               caf::actor_addr actor, std::uint64_t gen) {
  return std::make_unique<stdio>(std::move(loop), cfg, std::move(actor), gen);
}

std::unique_ptr<mcp_transport> http_transport(std::shared_ptr<curl_loop> loop,
                                              const domain::toolset_config& cfg,
                                              caf::actor_addr actor, std::uint64_t gen) {
  return std::make_unique<http>(std::move(loop), cfg, std::move(actor), gen);
}

}  // namespace troupe::actors::detail
