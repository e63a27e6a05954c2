#include "actors/providers/openai_provider.hpp"

#include <random>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "actors/providers/upstream_call.hpp"
#include "domain/core/clock.hpp"
#include "domain/upstream/upstream_request.hpp"

namespace troupe::actors::detail {
// I/O thread → provider: an attempt of call `call` ended.
struct attempt_done {
  std::uint64_t call;
  attempt_report report;
};
// Self-message after a backoff: try call `call` again.
struct retry_call {
  std::uint64_t call;
};
}  // namespace troupe::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::attempt_done)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::retry_call)

namespace troupe::actors {

using detail::attempt_done;
using detail::retry_call;

namespace {

using clock = std::chrono::steady_clock;

struct pending_call {
  llm_call call;
  caf::response_promise rp;
  std::shared_ptr<const std::string> body;
  clock::time_point deadline;  // the answer must have begun by then
  int retries = 0;             // done so far
};

struct openai_state {
  domain::provider_config cfg;
  openai_provider_deps deps;
  std::string url;
  std::vector<std::string> headers;
  std::unordered_map<std::uint64_t, pending_call> calls;
  std::uint64_t next_call = 0;
  std::minstd_rand rng{std::random_device{}()};
};

using self_ptr = caf::stateful_actor<openai_state>*;

std::chrono::milliseconds timeout_of(const domain::provider_config& cfg) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(cfg.timeout_s * 1000));
}

bool streaming(const llm_call& c) { return c.reply && c.reply->streaming(); }

// For log lines about the call: which HTTP request it serves.
std::string request_id_of(const llm_call& c) {
  auto id = c.reply ? c.reply->request_id() : std::string();
  return id.empty() ? "-" : id;
}

// The turn no longer needs an answer: its client left or it already ended.
bool abandoned(const llm_call& c) {
  return c.reply && (c.reply->client_gone() || c.reply->finished());
}

void launch(self_ptr self, std::uint64_t id) {
  auto& st = self->state;
  auto& p = st.calls.at(id);
  http_post post;
  post.url = st.url;
  post.body = p.body;
  post.headers = st.headers;
  post.headers.emplace_back(streaming(p.call) ? "Accept: text/event-stream"
                                              : "Accept: application/json");
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(p.deadline - clock::now());
  post.connect_timeout_ms = std::clamp<long>(static_cast<long>(left.count()), 1, 10000);
  auto me = caf::actor_cast<caf::actor>(self);
  auto call = std::make_shared<upstream_call>(
      p.call.reply, p.deadline, timeout_of(st.cfg),
      [me, id](attempt_report r) { caf::anon_send(me, attempt_done{id, std::move(r)}); });
  st.deps.io->start(std::move(post), std::move(call));
}

void fail(self_ptr self, pending_call& p, const domain::upstream_outcome& o) {
  auto& st = self->state;
  if (!o.started && st.deps.fallback && o.failure != domain::upstream_failure::cancelled &&
      !domain::client_fault(o)) {
    spdlog::info("provider {} failed ({}), falling back to {} request_id={}", st.cfg.name,
                 o.message, st.cfg.fallback, request_id_of(p.call));
    st.deps.meter->fallback();
    p.rp.delegate(st.deps.fallback, std::move(p.call));
    return;
  }
  p.rp.deliver(to_caf_error(domain::client_error(o, st.cfg.name)));
}

void attempt_ended(self_ptr self, attempt_done& m) {
  auto& st = self->state;
  auto it = st.calls.find(m.call);
  if (it == st.calls.end()) return;
  auto& p = it->second;
  auto& o = m.report.outcome;
  auto now_ms = domain::now_ms();
  if (o.failure == domain::upstream_failure::none) {
    st.deps.status->record_success(now_ms);
    m.report.result.provider = st.cfg.name;
    p.rp.deliver(std::move(m.report.result));
    st.calls.erase(it);
    return;
  }
  // The upstream judged the client's request: the provider itself is fine.
  if (o.failure != domain::upstream_failure::cancelled && !domain::client_fault(o)) {
    st.deps.status->record_error(domain::client_error(o, st.cfg.name).message, now_ms);
    st.deps.meter->error();
    spdlog::warn("provider {}: attempt {} failed: {} request_id={}", st.cfg.name, p.retries + 1,
                 o.message, request_id_of(p.call));
  }
  if (domain::worth_retrying(o) && p.retries < st.cfg.retry.retries && !abandoned(p.call)) {
    auto delay = std::chrono::milliseconds(domain::backoff_ms(
        st.cfg.retry, p.retries + 1, o.retry_after_ms,
        std::uniform_real_distribution<double>(0.0, 1.0)(st.rng)));
    if (clock::now() + delay < p.deadline) {
      ++p.retries;
      st.deps.meter->retry();
      self->delayed_send(self, delay, retry_call{m.call});
      return;
    }
  }
  fail(self, p, o);
  st.calls.erase(it);
}

caf::behavior openai_provider(caf::stateful_actor<openai_state>* self, domain::provider_config cfg,
                              openai_provider_deps deps) {
  auto& st = self->state;
  st.url = cfg.base_url + "/chat/completions";
  st.headers = {"Content-Type: application/json", "Expect:", "User-Agent: troupe/" TROUPE_VERSION};
  if (!cfg.api_key.empty()) st.headers.push_back("Authorization: Bearer " + cfg.api_key);
  st.cfg = std::move(cfg);
  st.deps = std::move(deps);
  self->set_exit_handler([=](caf::exit_msg& m) {
    for (auto& [id, p] : self->state.calls) p.rp.deliver(m.reason);
    self->state.calls.clear();
    self->quit(m.reason);
  });
  return {
      [=](llm_call& call) -> caf::result<llm_result> {
        auto& st = self->state;
        st.deps.meter->call();
        auto id = st.next_call++;
        pending_call p;
        domain::upstream_request_options opts{st.cfg.model, streaming(call),
                                              // Usage is always asked for: turns are
                                              // counted (limits, health) even when
                                              // the client does not want it.
                                              true};
        p.body = std::make_shared<const std::string>(
            domain::encode_upstream_request(call.prompt, call.params, opts));
        p.deadline = clock::now() + timeout_of(st.cfg);
        p.call = std::move(call);
        p.rp = self->make_response_promise();
        auto rp = p.rp;
        st.calls.emplace(id, std::move(p));
        launch(self, id);
        return rp;
      },
      [=](attempt_done& m) { attempt_ended(self, m); },
      [=](const retry_call& m) {
        auto& st = self->state;
        auto it = st.calls.find(m.call);
        if (it == st.calls.end()) return;
        if (abandoned(it->second.call)) {
          domain::upstream_outcome o;
          o.failure = domain::upstream_failure::cancelled;
          o.message = "the turn ended during a retry backoff";
          fail(self, it->second, o);
          st.calls.erase(it);
          return;
        }
        launch(self, m.call);
      },
  };
}

}  // namespace

provider_actor spawn_openai_provider(caf::actor_system& sys, const domain::provider_config& cfg,
                                     openai_provider_deps deps) {
  return caf::actor_cast<provider_actor>(sys.spawn(openai_provider, cfg, std::move(deps)));
}

}  // namespace troupe::actors
