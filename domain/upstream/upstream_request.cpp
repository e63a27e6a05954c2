#include "domain/upstream/upstream_request.hpp"

#include "domain/core/json.hpp"

namespace troupe::domain {

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

template <class T>
void write_optional(writer& w, const char* key, const std::optional<T>& v) {
  if (!v) return;
  w.Key(key);
  if constexpr (std::is_same_v<T, double>)
    w.Double(*v);
  else
    w.Int64(*v);
}

void write_params(writer& w, const sampling_params& p) {
  write_optional(w, "temperature", p.temperature);
  write_optional(w, "top_p", p.top_p);
  write_optional(w, p.max_completion_tokens ? "max_completion_tokens" : "max_tokens",
                 p.max_tokens);
  write_optional(w, "presence_penalty", p.presence_penalty);
  write_optional(w, "frequency_penalty", p.frequency_penalty);
  write_optional(w, "seed", p.seed);
  if (!p.stop.empty()) {
    w.Key("stop");
    w.StartArray();
    for (auto& s : p.stop) write_string(w, s);
    w.EndArray();
  }
  if (!p.user.empty()) {
    w.Key("user");
    write_string(w, p.user);
  }
}

}  // namespace

std::string encode_upstream_request(const prompt& p, const sampling_params& params,
                                    const upstream_request_options& opts) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("model");
  write_string(w, opts.model);
  w.Key("messages");
  w.StartArray();
  p.for_each([&](role r, const std::string& content) {
    w.StartObject();
    w.Key("role");
    write_string(w, to_string(r));
    w.Key("content");
    write_string(w, content);
    w.EndObject();
  });
  w.EndArray();
  write_params(w, params);
  if (opts.stream) {
    w.Key("stream");
    w.Bool(true);
    if (opts.include_usage) {
      w.Key("stream_options");
      w.StartObject();
      w.Key("include_usage");
      w.Bool(true);
      w.EndObject();
    }
  }
  w.EndObject();
  return out.str();
}

}  // namespace troupe::domain
