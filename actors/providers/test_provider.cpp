#include "actors/providers/test_provider.hpp"

#include <chrono>
#include <unordered_map>

#include "domain/core/clock.hpp"

namespace troupe::actors::detail {
// Self-message that paces a slow call: emit the next token of call `call`.
struct tick {
  std::uint64_t call;
};
}  // namespace troupe::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::tick)

namespace troupe::actors {

using detail::tick;

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
  std::shared_ptr<turn_reply> reply;
  caf::response_promise rp;
};

struct test_provider_state {
  domain::provider_config cfg;
  std::shared_ptr<component_status> status;
  std::uint64_t next_call = 0;
  std::unordered_map<std::uint64_t, paced_call> calls;
};

caf::behavior test_provider(caf::stateful_actor<test_provider_state>* self,
                            domain::provider_config cfg, std::shared_ptr<component_status> status) {
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
        st.calls.emplace(id, paced_call{std::move(p), 0, streaming ? call.reply : nullptr, rp});
        self->delayed_send(self, std::chrono::milliseconds(st.cfg.first_token_ms), tick{id});
        return rp;
      },
      [=](const tick& t) {
        auto& st = self->state;
        auto it = st.calls.find(t.call);
        if (it == st.calls.end()) return;
        auto& c = it->second;
        if (c.reply && c.reply->client_gone()) {
          c.rp.deliver(caf::make_error(caf::sec::request_receiver_down));
          st.calls.erase(it);
          return;
        }
        if (c.next < c.plan.tokens.size()) {
          if (c.reply) c.reply->delta(c.plan.tokens[c.next]);
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
  };
}

}  // namespace

provider_actor spawn_test_provider(caf::actor_system& sys, const domain::provider_config& cfg,
                                   std::shared_ptr<component_status> status) {
  // Dynamically typed inside (it sends itself ticks), typed to its users.
  return caf::actor_cast<provider_actor>(sys.spawn(test_provider, cfg, std::move(status)));
}

}  // namespace troupe::actors
