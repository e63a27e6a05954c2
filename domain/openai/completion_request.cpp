#include "domain/openai/completion_request.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "domain/core/ids.hpp"
#include "domain/core/json.hpp"
#include "domain/openai/message_codec.hpp"
#include "domain/openai/tool_request.hpp"

namespace troupe::domain {

namespace {

// The most choices a request may ask for (OpenAI's own limit).
constexpr std::int64_t max_choices = 128;

double ranged(const json_value& v, const char* param, double lo, double hi) {
  double d = get_number(v, param);
  if (d < lo || d > hi)
    throw bad_request(fmt::format("'{}' must be between {} and {}, got {}", param, lo, hi, d),
                      param);
  return d;
}

std::int64_t positive(const json_value& v, const char* param) {
  auto n = get_int(v, param);
  if (n <= 0) throw bad_request(fmt::format("'{}' must be greater than 0", param), param);
  return n;
}

void read_metadata(const json_value& v, completion_request& req) {
  get_object(v, "metadata");
  std::vector<std::pair<std::string_view, const json_value*>> others;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    auto key = key_of(it);
    auto param = join_path("metadata", key);
    if (key == "session_id" || key == "task_id") {
      if (it->value.IsNull()) continue;
      auto id = get_string(it->value, param);
      if (!valid_id(id))
        throw bad_request(fmt::format("'{}' must be 1-128 characters of A-Z a-z 0-9 . _ : -",
                                      param),
                          param);
      if (!req.session_id.empty() && req.session_id != id)
        throw bad_request("metadata.session_id and metadata.task_id name different sessions",
                          param);
      req.session_id = id;
    } else if (key == "user_id") {
      if (!it->value.IsNull()) req.user_id = get_string(it->value, param);
    } else {
      others.emplace_back(key_of(it), &it->value);
    }
  }
  // The client's own keys go upstream with the request.
  if (others.empty()) return;
  json_out out;
  out.w.StartObject();
  for (auto& [key, value] : others) {
    write_string_key(out.w, key);
    value->Accept(out.w);
  }
  out.w.EndObject();
  req.forward.emplace_back("metadata", out.str());
}

void read_stream_options(const json_value& v, completion_request& req) {
  get_object(v, "stream_options");
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    if (key_of(it) == "include_usage") {
      if (!it->value.IsNull())
        req.include_usage = get_bool(it->value, "stream_options.include_usage");
    } else {
      req.stream_options_forward.emplace_back(std::string(key_of(it)), to_json_text(it->value));
    }
  }
}

void read_stop(const json_value& v, sampling_params& p) {
  if (v.IsString()) {
    p.stop = {get_string(v, "stop")};
    return;
  }
  if (!v.IsArray())
    throw unprocessable(fmt::format("'stop' must be a string or an array of strings, got {}",
                                    json_type_name(v)),
                        "stop");
  p.stop = get_string_array(v, "stop");
  if (p.stop.size() > 4) throw bad_request("'stop' may hold at most 4 sequences", "stop");
}

// Reads a field Troupe acts on; returns the JSON text that goes upstream
// for it ("" for fields that do not go upstream as they are).
std::string read_field(std::string_view key, const json_value& v, completion_request& req) {
  auto& p = req.params;
  if (key == "temperature") {
    p.temperature = ranged(v, "temperature", 0, 2);
  } else if (key == "top_p") {
    p.top_p = ranged(v, "top_p", 0, 1);
  } else if (key == "presence_penalty") {
    p.presence_penalty = ranged(v, "presence_penalty", -2, 2);
  } else if (key == "frequency_penalty") {
    p.frequency_penalty = ranged(v, "frequency_penalty", -2, 2);
  } else if (key == "max_tokens" || key == "max_completion_tokens") {
    p.max_completion_tokens = key == "max_completion_tokens";
    p.max_tokens = positive(v, p.max_completion_tokens ? "max_completion_tokens" : "max_tokens");
  } else if (key == "stop") {
    read_stop(v, p);
  } else if (key == "n") {
    auto n = positive(v, "n");
    if (n > max_choices)
      throw bad_request(fmt::format("'n' must be at most {}", max_choices), "n");
    req.n = static_cast<int>(n);
  } else if (key == "seed") {
    p.seed = get_int(v, "seed");
  } else if (key == "user") {
    p.user = get_string(v, "user");
  } else if (key == "store") {
    req.store = get_bool(v, "store");
  } else if (key == "tools") {
    return read_tools(v, req);
  } else if (key == "functions") {
    return read_functions(v, req);
  } else if (key == "tool_choice") {
    return read_tool_choice(v, req);
  } else if (key == "function_call") {
    return read_function_call(v, req);
  } else if (key == "parallel_tool_calls") {
    get_bool(v, "parallel_tool_calls");
  } else if (key == "response_format") {
    read_response_format(v, req);
  }
  return to_json_text(v);
}

// The name a forwarded field has upstream: legacy function fields become tool fields.
std::string upstream_key(std::string_view key) {
  if (key == "functions") return "tools";
  if (key == "function_call") return "tool_choice";
  return std::string(key);
}

}  // namespace

bool completion_request::has_forward(std::string_view key) const {
  return std::any_of(forward.begin(), forward.end(), [&](auto& m) { return m.first == key; });
}

completion_request parse_completion_request(std::string_view body) {
  rapidjson::Document doc;
  parse_json_object(body, doc);
  completion_request req;
  bool have_messages = false;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    auto key = key_of(it);
    auto& v = it->value;
    if (key == "model") {
      req.model = get_string(v, "model");
    } else if (key == "messages") {
      req.messages = read_messages(v);
      have_messages = true;
    } else if (v.IsNull()) {
      continue;  // an explicit null is the same as leaving an optional field out
    } else if (key == "stream") {
      req.stream = get_bool(v, "stream");
    } else if (key == "stream_options") {
      read_stream_options(v, req);
    } else if (key == "metadata") {
      read_metadata(v, req);
    } else {
      auto upstream = upstream_key(key);
      if (req.has_forward(upstream))
        throw bad_request(upstream == key
                              ? fmt::format("'{}' is given twice", key)
                              : fmt::format("'{}' and its legacy form '{}' were both given",
                                            upstream, key),
                          std::string(key));
      req.forward.emplace_back(std::move(upstream), read_field(key, v, req));
    }
  }
  if (req.model.empty()) {
    if (doc.HasMember("model") && doc["model"].IsString())
      throw bad_request("'model' must name an agent id", "model");
    throw unprocessable("'model' is required (the agent id)", "model");
  }
  if (!have_messages) throw unprocessable("'messages' is required", "messages");
  if (req.messages.empty()) throw bad_request("'messages' must not be empty", "messages");
  // Legacy functions answer with one function_call: the model may call only one.
  if (req.legacy_functions && !req.has_forward("parallel_tool_calls"))
    req.forward.emplace_back("parallel_tool_calls", "false");
  if (req.session_id.empty()) {
    req.session_id = new_id("sess-");
    req.session_id_generated = true;
  }
  return req;
}

}  // namespace troupe::domain
