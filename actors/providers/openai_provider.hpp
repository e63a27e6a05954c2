#pragma once
// "type":"openai": any OpenAI-compatible /chat/completions server (OpenAI,
// vLLM, llama.cpp, Ollama, LiteLLM…). One actor per provider entry; the HTTP
// exchanges run on the shared curl_loop thread and report back as messages.
// Retries (connect errors, 429, 5xx before the first token) wait on delayed
// messages; a call that fails before its first token goes to `fallback`.
#include <memory>

#include "actors/messages.hpp"
#include "actors/providers/curl_loop.hpp"
#include "actors/component_status.hpp"
#include "actors/telemetry.hpp"
#include "domain/service/services_config.hpp"

namespace troupe::actors {

struct openai_provider_deps {
  std::shared_ptr<curl_loop> io;
  std::shared_ptr<component_status> status;
  provider_actor fallback;  // null: none
  std::shared_ptr<provider_telemetry> meter = std::make_shared<provider_telemetry>();
};

provider_actor spawn_openai_provider(caf::actor_system& sys, const domain::provider_config& cfg,
                                     openai_provider_deps deps);

}  // namespace troupe::actors
