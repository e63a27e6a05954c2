#pragma once
// The body of POST {base_url}/chat/completions to an OpenAI-compatible
// upstream: the prompt as the model sees it plus the merged sampling params.
#include <string>
#include <string_view>

#include "domain/openai/completion_request.hpp"
#include "domain/chat/prompt.hpp"

namespace troupe::domain {

struct upstream_request_options {
  std::string_view model;      // the provider's model, not the agent id
  bool stream = false;
  bool include_usage = false;  // stream only: ask for the final usage chunk
};

std::string encode_upstream_request(const prompt& p, const sampling_params& params,
                                    const upstream_request_options& opts);

}  // namespace troupe::domain
