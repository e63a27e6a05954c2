#pragma once
// The services file: LLM providers an agent can use.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/chat/chat_message.hpp"
#include "domain/upstream/upstream_policy.hpp"

namespace troupe::domain {

struct provider_config {
  std::string name;
  std::string type;  // "test" or "openai" (any OpenAI-compatible server)
  std::string model;
  std::string base_url;  // "openai": default https://api.openai.com/v1
  std::string api_key;   // "openai": sent as a Bearer token when not empty
  std::optional<double> temperature;
  std::optional<std::int64_t> max_tokens;
  double timeout_s = 60;  // "openai": longest wait for an answer (and between stream chunks)
  std::string fallback;   // tried when this provider fails before its first token
  retry_policy retry;     // "retries", "retry_base_ms"
  // "test" provider only:
  std::string reply = "Test response from mock LLM";
  std::int64_t first_token_ms = 0;
  std::int64_t token_interval_ms = 0;
  // Scripted tool calls: when a request offers tools, these are called (those
  // it offers; name "*" is the first tool offered, its arguments made from its
  // schema when none are given). Ids are generated per call.
  std::vector<tool_call> tool_calls;
  // The answer once tool results came back; "{results}" is replaced by them.
  std::string tool_result_reply = "Tool results: {results}";
  std::string json_reply;  // response_format json_*: this JSON instead of one made from the schema
};

// A set of tools an agent can use: an MCP server (a child process over
// stdio, or a Streamable HTTP endpoint) or tools built into Troupe.
struct toolset_config {
  std::string name;
  std::string type;       // "mcp" | "builtin"
  std::string transport;  // mcp: "stdio" | "http"
  std::string command;    // stdio
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;
  std::string url;  // http
  std::vector<std::pair<std::string, std::string>> headers;
  double timeout_s = 30;           // per tool call
  std::vector<std::string> tools;  // builtin: current_time, calculator, fetch_url
  std::vector<std::string> fetch_allow;  // fetch_url: URL prefixes it may fetch
};

struct services_config {
  std::map<std::string, provider_config> providers;
  std::string default_provider;
  std::map<std::string, toolset_config> toolsets;

  const provider_config* find(std::string_view name) const;
  const toolset_config* find_toolset(std::string_view name) const;
  // llm_config_id, else the default provider.
  const provider_config* resolve(std::string_view llm_config_id) const;
};

// ${VAR} and ${VAR:-default} from the environment; unset ${VAR} is "".
std::string expand_env(std::string_view text);

// Throws std::runtime_error with a one-line reason.
services_config parse_services(std::string_view json_text);
services_config load_services(const std::string& path);

}  // namespace troupe::domain
