#include "actors/providers/test_provider.hpp"

#include <chrono>
#include <unordered_map>

#include "domain/chat/scripted_reply.hpp"
#include "domain/core/clock.hpp"
#include "domain/core/json.hpp"

namespace troupe::actors::detail {
// Self-message that paces a slow call: emit the next step of call `call`.
struct tick {
  std::uint64_t call;
};
}  // namespace troupe::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::tick)

namespace troupe::actors {

using detail::tick;

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
  std::shared_ptr<turn_reply> reply;  // null for a non-stream turn
  std::shared_ptr<turn_reply> turn;   // to notice a client that left
  caf::response_promise rp;
};

struct test_provider_state {
  domain::provider_config cfg;
  std::shared_ptr<component_status> status;
  std::uint64_t next_call = 0;
  std::unordered_map<std::uint64_t, paced_call> calls;
};

llm_result result_of(domain::scripted_reply& plan, const std::string& provider) {
  llm_result r;
  static_cast<domain::completion_result&>(r) = std::move(plan.result);
  r.provider = provider;
  return r;
}

caf::behavior test_provider(caf::stateful_actor<test_provider_state>* self,
                            domain::provider_config cfg, std::shared_ptr<component_status> status,
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
        st.calls.emplace(id, paced_call{std::move(plan), 0, streaming ? call.reply : nullptr,
                                        call.reply, rp});
        self->delayed_send(self, std::chrono::milliseconds(st.cfg.first_token_ms), tick{id});
        return rp;
      },
      [=](const tick& t) {
        auto& st = self->state;
        auto it = st.calls.find(t.call);
        if (it == st.calls.end()) return;
        auto& c = it->second;
        if (c.turn && (c.turn->client_gone() || c.turn->finished())) {
          c.rp.deliver(caf::make_error(caf::sec::request_receiver_down));
          st.calls.erase(it);
          return;
        }
        if (c.next < c.plan.steps.size()) {
          if (c.reply) emit(*c.reply, c.plan.steps[c.next]);
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
