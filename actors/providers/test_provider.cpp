#include "actors/providers/test_provider.hpp"

#include <chrono>
#include <unordered_map>

#include "actors/errors.hpp"
#include "domain/chat/scripted_reply.hpp"
#include "domain/core/clock.hpp"
#include "domain/core/json.hpp"
#include "domain/upstream/upstream_policy.hpp"

namespace troupe::actors::detail {
// Self-message that paces a slow call: emit the next step of call `call`.
struct tick {
  std::uint64_t call;
};
// Self-message while slow calls run: cancel those whose client left, even
// when their next step is far away (a long first_token_ms).
struct sweep_abandoned {};
}  // namespace troupe::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::tick)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::sweep_abandoned)

namespace troupe::actors {

using detail::sweep_abandoned;
using detail::tick;

// How soon a slow call notices that its client hung up.
constexpr std::chrono::milliseconds sweep_interval{200};

namespace {

void emit(turn_reply& reply, const domain::scripted_step& s) {
  if (s.delta_json.empty()) return reply.delta(s.text, s.index);
  rapidjson::Document delta;
  delta.Parse(s.delta_json.data(), s.delta_json.size());
  domain::stream_piece piece;
  piece.index = s.index;
  piece.delta = &delta;
  reply.relay(piece);
}

// A call paced by timers: emits one step per tick.
struct paced_call {
  domain::scripted_reply plan;
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

llm_result result_of(domain::scripted_reply& plan, const std::string& provider) {
  llm_result r;
  static_cast<domain::completion_result&>(r) = std::move(plan.result);
  r.provider = provider;
  return r;
}

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
                            std::shared_ptr<component_status> status,
                            std::shared_ptr<provider_telemetry> meter) {
  self->state.cfg = std::move(cfg);
  self->state.status = std::move(status);
  return {
      [=](const llm_call& call) -> caf::result<llm_result> {
        auto& st = self->state;
        meter->call();
        auto plan = domain::plan_scripted_reply(st.cfg, call.prompt, call.params);
        bool streaming = call.reply && call.reply->streaming();
        if (st.cfg.first_token_ms <= 0 && st.cfg.token_interval_ms <= 0) {
          if (streaming)
            for (auto& s : plan.steps) emit(*call.reply, s);
          st.status->record_success(domain::now_ms());
          return result_of(plan, st.cfg.name);
        }
        auto id = st.next_call++;
        auto rp = self->make_response_promise();
        st.calls.emplace(id, paced_call{std::move(plan), 0, call.reply, streaming, rp});
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
        if (c.next < c.plan.steps.size()) {
          if (c.streaming) emit(*c.reply, c.plan.steps[c.next]);
          ++c.next;
        }
        if (c.next >= c.plan.steps.size()) {
          st.status->record_success(domain::now_ms());
          c.rp.deliver(result_of(c.plan, st.cfg.name));
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
                                   std::shared_ptr<component_status> status,
                                   std::shared_ptr<provider_telemetry> meter) {
  if (!meter) meter = std::make_shared<provider_telemetry>();
  // Dynamically typed inside (it sends itself ticks), typed to its users.
  return caf::actor_cast<provider_actor>(
      sys.spawn(test_provider, cfg, std::move(status), std::move(meter)));
}

}  // namespace troupe::actors
