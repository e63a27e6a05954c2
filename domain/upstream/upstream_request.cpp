#include "domain/upstream/upstream_request.hpp"

#include "domain/core/json.hpp"
#include "domain/openai/message_codec.hpp"

namespace troupe::domain {

std::string encode_upstream_request(const prompt& p, const sampling_params& defaults,
                                    const upstream_request_options& opts) {
  auto& req = *p.request;
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("model");
  write_string(w, opts.model);
  w.Key("messages");
  w.StartArray();
  p.for_each([&](const chat_message& m) { write_message(w, m); });
  w.EndArray();
  bool tools_written = false, choice_written = false;
  for (auto& [key, raw] : req.forward) {
    write_string_key(w, key);
    if (key == "tools" && !p.server_tools_json.empty()) {
      // The client's tools, then the agent's own.
      auto inner = std::string_view(raw).substr(1, raw.size() - 2);
      auto joined = "[" + std::string(inner) + (inner.find_first_not_of(" ") == std::string_view::npos ? "" : ",") +
                    p.server_tools_json + "]";
      write_raw(w, joined);
      tools_written = true;
    } else if (key == "tool_choice" && !p.tool_choice_override.empty()) {
      write_raw(w, p.tool_choice_override);
      choice_written = true;
    } else {
      write_raw(w, raw);
    }
  }
  if (!tools_written && !p.server_tools_json.empty()) {
    w.Key("tools");
    write_raw(w, "[" + p.server_tools_json + "]");
  }
  if (!choice_written && !p.tool_choice_override.empty()) {
    w.Key("tool_choice");
    write_raw(w, p.tool_choice_override);
  }
  if (defaults.temperature && !req.params.temperature) {
    w.Key("temperature");
    w.Double(*defaults.temperature);
  }
  if (defaults.max_tokens && !req.params.max_tokens) {
    w.Key("max_tokens");
    w.Int64(*defaults.max_tokens);
  }
  if (opts.stream) {
    w.Key("stream");
    w.Bool(true);
    if (opts.include_usage || !req.stream_options_forward.empty()) {
      w.Key("stream_options");
      w.StartObject();
      if (opts.include_usage) {
        w.Key("include_usage");
        w.Bool(true);
      }
      for (auto& [key, raw] : req.stream_options_forward) {
        write_string_key(w, key);
        write_raw(w, raw);
      }
      w.EndObject();
    }
  }
  w.EndObject();
  return out.str();
}

}  // namespace troupe::domain
