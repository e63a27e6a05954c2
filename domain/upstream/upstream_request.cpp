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
  for (auto& [key, raw] : req.forward) {
    write_string_key(w, key);
    write_raw(w, raw);
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
