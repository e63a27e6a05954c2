#pragma once
// Shared by the actor tests: a reply_sink that records what a request got.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "actors/reply_sink.hpp"

namespace troupe::testing {

class recording_sink final : public actors::reply_sink {
 public:
  void send(int status, std::string body) override {
    std::lock_guard<std::mutex> g{mu_};
    status_ = status;
    body_ = std::move(body);
    done_ = true;
    cv_.notify_all();
  }
  void send_with_headers(int status, std::string body, const actors::header_list& hs) override {
    {
      std::lock_guard<std::mutex> g{mu_};
      headers_.insert(headers_.end(), hs.begin(), hs.end());
    }
    send(status, std::move(body));
  }
  void add_header(std::string name, std::string value) override {
    std::lock_guard<std::mutex> g{mu_};
    headers_.emplace_back(std::move(name), std::move(value));
  }
  // The value of the last header `name` ("" when none).
  std::string header(const std::string& name) {
    std::lock_guard<std::mutex> g{mu_};
    std::string v;
    for (auto& [k, val] : headers_)
      if (k == name) v = val;
    return v;
  }
  void send_empty(int status) override { send(status, ""); }
  void stream(std::string events) override {
    std::lock_guard<std::mutex> g{mu_};
    status_ = 200;
    body_ += events;
  }
  void end_stream(std::string last) override {
    std::lock_guard<std::mutex> g{mu_};
    body_ += last;
    done_ = true;
    cv_.notify_all();
  }
  bool client_gone() const override { return gone.load(); }
  void set_session(const std::string&) override {}

  // Waits for the reply; false on timeout.
  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock<std::mutex> g{mu_};
    return cv_.wait_for(g, timeout, [this] { return done_; });
  }
  int status() {
    std::lock_guard<std::mutex> g{mu_};
    return status_;
  }
  std::string body() {
    std::lock_guard<std::mutex> g{mu_};
    return body_;
  }

  // Set by a test: the client hung up.
  std::atomic<bool> gone{false};

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int status_ = 0;
  std::string body_;
  actors::header_list headers_;
  bool done_ = false;
};

}  // namespace troupe::testing

#include <memory>

#include "actors/messages.hpp"

namespace troupe::testing {

struct turn_with_sink {
  actors::chat_turn turn;
  std::shared_ptr<recording_sink> sink;
};

// A store_turn of a session row and its messages.
inline actors::store_turn store(domain::session_info info, domain::message_list messages) {
  actors::store_turn t;
  t.info = std::move(info);
  t.messages = std::move(messages);
  return t;
}

// A provider's answer with one text choice.
inline actors::llm_result text_result(std::string text, std::string provider = "fake") {
  actors::llm_result r;
  r.first().message.content = std::move(text);
  r.provider = std::move(provider);
  return r;
}

inline turn_with_sink make_turn(const std::string& model, const std::string& session,
                                const std::string& content, const std::string& user = "") {
  auto req = std::make_shared<domain::completion_request>();
  req->model = model;
  req->session_id = session;
  req->user_id = user;
  req->messages = {{domain::role::user, content, 0}};
  auto sink = std::make_shared<recording_sink>();
  auto reply = actors::chat_turn_reply(
      sink, domain::make_completion_meta(model, session, user), false, false);
  actors::chat_turn turn;
  turn.request = std::move(req);
  turn.reply = std::move(reply);
  turn.session_id = session;
  return {std::move(turn), sink};
}

}  // namespace troupe::testing

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>

#include "storage/agent_store.hpp"

namespace troupe::testing {

// Stores a minimal agent. SQLite drops the sessions of agents it does not
// hold when it opens, so storage tests that reopen need their agent stored.
inline void add_agent(storage::agent_store& s, const std::string& id) {
  domain::agent_config a;
  a.id = a.name = a.template_id = id;
  BOOST_REQUIRE(s.insert(a) == storage::write_status::ok);
}

// A fresh directory under /tmp, removed with the object.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/troupe-unit-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const char* name) const { return (path / name).string(); }
};

}  // namespace troupe::testing
