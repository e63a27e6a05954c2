#include "actors/providers/test_provider.hpp"

#include <chrono>
#include <unordered_map>

#include "actors/errors.hpp"
#include "domain/clock.hpp"
#include "domain/upstream_policy.hpp"

namespace troupe::actors::detail {
// Self-message that paces a slow call: emit the next token of call `call`.
struct tick {
  std::uint64_t call;
};
// Self-message while slow calls run: cancel those whose client left, even
// when their next token is far away (a long first_token_ms).
struct sweep_abandoned {};
}  // namespace troupe::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::tick)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::sweep_abandoned)

namespace troupe::actors {

using detail::sweep_abandoned;
using detail::tick;

// How soon a slow call notices that its client hung up.
constexpr std::chrono::milliseconds sweep_interval{200};

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    auto end = text.find(' ', i);
    end = end == std::string_view::npos ? text.size() : end + 1;
    out.emplace_back(text.substr(i, end - i));
    i = end;
  }
  return out;
}

namespace {

// The tokens to emit for one call, after max_tokens and stop sequences.
struct planned_reply {
  std::vector<std::string> tokens;
  llm_result result;
};

planned_reply plan(const domain::provider_config& cfg, const llm_call& call) {
  planned_reply out;
  std::string text = cfg.reply;
  out.result.finish_reason = "stop";
  for (auto& stop : call.params.stop) {
    auto at = stop.empty() ? std::string::npos : text.find(stop);
    if (at != std::string::npos) text.resize(at);
  }
  out.tokens = split_words(text);
  auto max_tokens = call.params.max_tokens ? call.params.max_tokens : cfg.max_tokens;
  if (max_tokens && static_cast<std::int64_t>(out.tokens.size()) > *max_tokens) {
    out.tokens.resize(static_cast<std::size_t>(*max_tokens));
    out.result.finish_reason = "length";
  }
  for (auto& t : out.tokens) out.result.content += t;
  std::int64_t prompt_words = 0;
  call.prompt.for_each(
      [&](domain::role, const std::string& content) { prompt_words += domain::count_words(content); });
  out.result.usage.prompt_tokens = prompt_words;
  out.result.usage.completion_tokens = static_cast<std::int64_t>(out.tokens.size());
  out.result.provider = cfg.name;
  return out;
}

// A call paced by timers: emits one token per tick.
struct paced_call {
  planned_reply plan;
  std::size_t next = 0;
  std::shared_ptr<turn_reply> reply;  // stream or not: it tells when the client left
  bool streaming = false;
  caf::response_promise rp;
};

struct test_provider_state {
  domain::provider_config cfg;
  std::shared_ptr<component_status> status;
  std::uint64_t next_call = 0;
  std::unordered_map<std::uint64_t, paced_call> calls;
  bool sweeping = false;
};

using self_ptr = caf::stateful_actor<test_provider_state>*;

// The turn no longer needs an answer: its client left or it already ended.
bool abandoned(const paced_call& c) {
  return c.reply && (c.reply->client_gone() || c.reply->finished());
}

// A hang-up ends the call like the openai provider's cancellation: an
// error of ours, not a CAF error (that would read as a crashed agent).
void cancel(self_ptr self, paced_call& c) {
  domain::upstream_outcome o;
  o.failure = domain::upstream_failure::cancelled;
  o.message = "the client went away";
  c.rp.deliver(to_caf_error(domain::client_error(o, self->state.cfg.name)));
}

caf::behavior test_provider(self_ptr self, domain::provider_config cfg,
                            std::shared_ptr<component_status> status) {
  self->state.cfg = std::move(cfg);
  self->state.status = std::move(status);
  return {
      [=](const llm_call& call) -> caf::result<llm_result> {
        auto& st = self->state;
        auto p = plan(st.cfg, call);
        bool streaming = call.reply && call.reply->streaming();
        if (st.cfg.first_token_ms <= 0 && st.cfg.token_interval_ms <= 0) {
          if (streaming)
            for (auto& t : p.tokens) call.reply->delta(t);
          st.status->record_success(domain::now_ms());
          return std::move(p.result);
        }
        auto id = st.next_call++;
        auto rp = self->make_response_promise();
        st.calls.emplace(id, paced_call{std::move(p), 0, call.reply, streaming, rp});
        self->delayed_send(self, std::chrono::milliseconds(st.cfg.first_token_ms), tick{id});
        if (!st.sweeping) {
          st.sweeping = true;
          self->delayed_send(self, sweep_interval, sweep_abandoned{});
        }
        return rp;
      },
      [=](const tick& t) {
        auto& st = self->state;
        auto it = st.calls.find(t.call);
        if (it == st.calls.end()) return;
        auto& c = it->second;
        if (abandoned(c)) {
          cancel(self, c);
          st.calls.erase(it);
          return;
        }
        if (c.next < c.plan.tokens.size()) {
          if (c.streaming) c.reply->delta(c.plan.tokens[c.next]);
          ++c.next;
        }
        if (c.next >= c.plan.tokens.size()) {
          st.status->record_success(domain::now_ms());
          c.rp.deliver(std::move(c.plan.result));
          st.calls.erase(it);
          return;
        }
        self->delayed_send(self, std::chrono::milliseconds(st.cfg.token_interval_ms), tick{t.call});
      },
      [=](sweep_abandoned) {
        auto& st = self->state;
        for (auto it = st.calls.begin(); it != st.calls.end();) {
          if (!abandoned(it->second)) {
            ++it;
            continue;
          }
          cancel(self, it->second);
          it = st.calls.erase(it);
        }
        st.sweeping = !st.calls.empty();
        if (st.sweeping) self->delayed_send(self, sweep_interval, sweep_abandoned{});
      },
  };
}

}  // namespace

provider_actor spawn_test_provider(caf::actor_system& sys, const domain::provider_config& cfg,
                                   std::shared_ptr<component_status> status) {
  // Dynamically typed inside (it sends itself ticks), typed to its users.
  return caf::actor_cast<provider_actor>(sys.spawn(test_provider, cfg, std::move(status)));
}

}  // namespace troupe::actors
