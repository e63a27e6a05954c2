#include "actors/agent.hpp"

#include <unordered_map>

#include "actors/errors.hpp"
#include "actors/tools/tool_loop.hpp"
#include "domain/agents/templates.hpp"

namespace troupe::actors {

namespace {

struct agent_state {
  std::shared_ptr<const domain::agent_config> config;
  domain::chat_settings settings;  // parsed once per configuration
  std::shared_ptr<const provider_directory> providers;
  std::shared_ptr<const toolset_directory> toolsets;  // null: none configured

  void set(std::shared_ptr<const domain::agent_config> c) {
    config = std::move(c);
    settings = domain::read_chat_settings(config->template_config_json);
  }
};

using self_ptr = agent_actor::stateful_pointer<agent_state>;

// Request values win; then the agent's conversation_config; then the provider's.
domain::sampling_params effective_params(const domain::sampling_params& requested,
                                         const domain::agent_config& a,
                                         const domain::provider_config& p) {
  auto out = requested;
  if (!out.temperature) out.temperature = a.conversation.temperature ? a.conversation.temperature
                                                                      : p.temperature;
  if (!out.max_tokens) out.max_tokens = a.conversation.max_tokens ? a.conversation.max_tokens
                                                                  : p.max_tokens;
  return out;
}

// Who answers the turn: the provider, or a tool loop over it when the agent
// has toolsets.
provider_actor answerer(self_ptr self, const provider_actor& provider) {
  auto& st = self->state;
  if (!st.toolsets || st.config->toolsets.empty()) return provider;
  tool_loop_config loop;
  loop.provider = provider;
  loop.max_iterations = st.settings.max_tool_iterations;
  loop.max_result_bytes = st.settings.max_tool_result_bytes;
  for (auto& name : st.config->toolsets)
    if (auto* e = st.toolsets->find(name); e && e->actor) loop.toolsets.push_back(e->actor);
  if (loop.toolsets.empty()) return provider;
  return spawn_tool_loop(self->system(), std::move(loop));
}

agent_actor::behavior_type agent(self_ptr self, std::shared_ptr<const domain::agent_config> config,
                                 std::shared_ptr<const provider_directory> providers,
                                 std::shared_ptr<const toolset_directory> toolsets) {
  // Turns it delegated are the provider's now; a turn still in its mailbox
  // when it stops bounces to its session as a CAF error.
  self->set_exception_handler(log_and_stop);
  self->state.set(std::move(config));
  self->state.providers = std::move(providers);
  self->state.toolsets = std::move(toolsets);
  return {
      [=](const turn_input& in) -> caf::result<llm_result> {
        auto& st = self->state;
        auto& cfg = *st.config;
        if (cfg.status == domain::agent_status::inactive)
          return to_caf_error(domain::conflict("agent '" + cfg.id + "' is inactive",
                                               "agent_inactive", "model"));
        auto* provider = st.providers->resolve(cfg.llm_config_id);
        if (!provider)
          return to_caf_error(domain::internal_error("agent '" + cfg.id +
                                                     "' has no provider: set llm_config_id or "
                                                     "default_provider in the services file"));
        if (!provider->actor)
          return to_caf_error(domain::not_implemented(
              "provider '" + provider->config.name + "' has type '" + provider->config.type +
                  "', which this server does not implement yet",
              "model"));
        llm_call call;
        call.prompt.system_prompt.content = cfg.system_prompt;
        call.prompt.request = in.request;
        call.prompt.instructions_end = in.instructions_end;
        // The model sees everything the client sent; the stored history goes
        // in front of it only when the client did not resend it itself.
        call.prompt.new_begin = in.instructions_end;
        call.prompt.history = in.history;
        if (!in.resent)
          call.prompt.window = domain::window_of(*in.history, cfg.conversation,
                                                 in.request->messages, in.instructions_end);
        call.params = effective_params(in.request->params, cfg, provider->config);
        call.reply = in.reply;
        auto& prefix = st.settings.response_prefix;
        if (!prefix.empty()) in.reply->set_content_prefix(prefix);
        // The provider answers the session itself: one message fewer per
        // turn. The session puts the prefix in front of the result.
        return self->delegate(answerer(self, provider->actor), std::move(call));
      },
      [=](const agent_changed& m) { self->state.set(m.config); },
  };
}

}  // namespace

agent_actor spawn_agent(caf::actor_system& sys, std::shared_ptr<const domain::agent_config> config,
                        std::shared_ptr<const provider_directory> providers,
                        std::shared_ptr<const toolset_directory> toolsets) {
  return sys.spawn(agent, std::move(config), std::move(providers), std::move(toolsets));
}

}  // namespace troupe::actors
