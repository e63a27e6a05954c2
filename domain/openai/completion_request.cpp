#include "domain/openai/completion_request.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "domain/core/ids.hpp"
#include "domain/core/json.hpp"

namespace troupe::domain {

namespace {

// OpenAI request fields we accept without acting on them here.
constexpr std::array<std::string_view, 24> accepted_fields = {
    "logprobs",     "top_logprobs",        "response_format", "logit_bias",
    "tools",        "tool_choice",         "parallel_tool_calls", "functions",
    "function_call", "store",              "service_tier",    "reasoning_effort",
    "modalities",   "audio",               "prediction",      "web_search_options",
    "verbosity",    "prompt_cache_key",    "safety_identifier", "stream_options",
    "user",         "seed",                "metadata",        "n"};

constexpr std::array<std::string_view, 8> accepted_message_fields = {
    "role", "content", "name", "tool_calls", "tool_call_id", "function_call", "refusal", "audio"};

template <std::size_t N>
bool in(const std::array<std::string_view, N>& list, std::string_view key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

std::string read_content(const json_value& v, const std::string& param, role r) {
  if (v.IsString()) return {v.GetString(), v.GetStringLength()};
  if (v.IsNull() && (r == role::assistant || r == role::tool)) return {};
  if (!v.IsArray())
    throw unprocessable(fmt::format("'{}' must be a string or an array of content parts", param),
                        param);
  std::string text;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    auto part_param = fmt::format("{}[{}]", param, i);
    auto& part = get_object(v[i], part_param);
    auto type = part.FindMember("type");
    if (type == part.MemberEnd())
      throw unprocessable(fmt::format("'{}.type' is required", part_param), part_param + ".type");
    if (get_string(type->value, part_param + ".type") != "text")
      throw bad_request(fmt::format("'{}.type': only \"text\" content parts are supported",
                                    part_param),
                        part_param + ".type");
    auto t = part.FindMember("text");
    if (t == part.MemberEnd())
      throw unprocessable(fmt::format("'{}.text' is required", part_param), part_param + ".text");
    if (!text.empty()) text += '\n';
    text += get_string(t->value, part_param + ".text");
  }
  return text;
}

chat_message read_message(const json_value& v, rapidjson::SizeType index) {
  auto param = fmt::format("messages[{}]", index);
  get_object(v, param);
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it)
    if (!in(accepted_message_fields, key_of(it)))
      throw unprocessable(fmt::format("unknown field '{}.{}'", param, key_of(it)),
                          join_path(param, key_of(it)));
  auto r = v.FindMember("role");
  if (r == v.MemberEnd())
    throw unprocessable(fmt::format("'{}.role' is required", param), param + ".role");
  auto role_name = get_string(r->value, param + ".role");
  auto parsed = parse_role(role_name);
  if (!parsed)
    throw bad_request(fmt::format("'{}.role' must be one of system, user, assistant, tool; got "
                                  "'{}'",
                                  param, role_name),
                      param + ".role");
  chat_message m;
  m.role = *parsed;
  auto c = v.FindMember("content");
  if (c == v.MemberEnd()) {
    if (m.role != role::assistant)
      throw unprocessable(fmt::format("'{}.content' is required", param), param + ".content");
  } else {
    m.content = read_content(c->value, param + ".content", m.role);
  }
  return m;
}

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
    }
    // Other metadata keys are the client's own; accepted and not interpreted.
  }
}

void read_stop(const json_value& v, sampling_params& p) {
  if (v.IsNull()) return;
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

}  // namespace

completion_request parse_completion_request(std::string_view body) {
  rapidjson::Document doc;
  parse_json_object(body, doc);
  completion_request req;
  bool have_messages = false;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    auto key = key_of(it);
    auto& v = it->value;
    auto& p = req.params;
    if (key == "model") {
      req.model = get_string(v, "model");
    } else if (key == "messages") {
      get_array(v, "messages");
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) req.messages.push_back(read_message(v[i], i));
      have_messages = true;
    } else if (v.IsNull()) {
      continue;  // an explicit null is the same as leaving an optional field out
    } else if (key == "temperature") {
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
      if (get_int(v, "n") != 1) throw bad_request("only n=1 is supported", "n");
    } else if (key == "stream") {
      req.stream = get_bool(v, "stream");
    } else if (key == "stream_options") {
      get_object(v, "stream_options");
      auto u = v.FindMember("include_usage");
      if (u != v.MemberEnd() && !u->value.IsNull())
        req.include_usage = get_bool(u->value, "stream_options.include_usage");
    } else if (key == "seed") {
      p.seed = get_int(v, "seed");
    } else if (key == "user") {
      p.user = get_string(v, "user");
    } else if (key == "metadata") {
      read_metadata(v, req);
    } else if (!in(accepted_fields, key)) {
      throw unprocessable(fmt::format("unknown field '{}'", key), std::string(key));
    }
  }
  if (req.model.empty()) {
    if (doc.HasMember("model") && doc["model"].IsString())
      throw bad_request("'model' must name an agent id", "model");
    throw unprocessable("'model' is required (the agent id)", "model");
  }
  if (!have_messages) throw unprocessable("'messages' is required", "messages");
  if (req.messages.empty()) throw bad_request("'messages' must not be empty", "messages");
  if (req.session_id.empty()) {
    req.session_id = new_id("sess-");
    req.session_id_generated = true;
  }
  return req;
}

}  // namespace troupe::domain
