#pragma once
// The body of POST {base_url}/chat/completions to an OpenAI-compatible
// upstream: the prompt as the model sees it, then every field of the
// client's request that Troupe does not interpret, as received and in order,
// then the agent's defaults for sampling values the request left out.
#include <string>
#include <string_view>

#include "domain/chat/prompt.hpp"
#include "domain/openai/completion_request.hpp"

namespace troupe::domain {

struct upstream_request_options {
  std::string_view model;      // the provider's model, not the agent id
  bool stream = false;
  bool include_usage = false;  // stream only: ask for the final usage chunk
};

// `defaults`: temperature and max_tokens from the agent or the provider,
// written only where the request has none.
std::string encode_upstream_request(const prompt& p, const sampling_params& defaults,
                                    const upstream_request_options& opts);

}  // namespace troupe::domain
