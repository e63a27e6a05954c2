#include "domain/openai/turn_replay.hpp"

#include "domain/core/api_error.hpp"
#include "domain/core/json.hpp"
#include "domain/keys/key_secret.hpp"
#include "domain/openai/completion_codec.hpp"
#include "domain/upstream/upstream_reply.hpp"

namespace troupe::domain {

void check_idempotency_key(std::string_view key) {
  bool visible = true;
  for (unsigned char c : key) visible = visible && c >= 0x21 && c <= 0x7e;
  if (key.empty() || key.size() > 255 || !visible)
    throw bad_request("the Idempotency-Key header must be 1 to 255 visible ASCII characters",
                      "Idempotency-Key", "invalid_idempotency_key");
}

std::string request_hash(std::string_view body) { return sha256_hex(body); }

// Stored as the chat completion object a client would have got, without a
// turn's own meta (id, session): the retry's reply writes its own.
std::string encode_replay(const completion_result& r, std::string_view provider) {
  completion_meta m;
  m.provider = std::string(provider);
  return encode_completion(m, r);
}

std::optional<replay> decode_replay(std::string_view stored) {
  std::string error;
  auto r = parse_upstream_completion(stored, error);
  if (!r) return std::nullopt;
  replay out{std::move(*r), {}};
  rapidjson::Document doc;
  if (!doc.Parse(stored.data(), stored.size()).HasParseError() && doc.IsObject()) {
    auto meta = doc.FindMember("metadata");
    if (meta != doc.MemberEnd() && meta->value.IsObject()) {
      auto& m = meta->value;
      auto p = m.FindMember("provider");
      if (p != m.MemberEnd() && p->value.IsString()) out.provider = p->value.GetString();
      // The agent's own tool calls (metadata.tool_calls), as encode_completion wrote them.
      auto calls = m.FindMember("tool_calls");
      if (calls != m.MemberEnd() && calls->value.IsArray())
        for (auto& c : calls->value.GetArray()) {
          if (!c.IsObject()) continue;
          server_tool_call call;
          auto text = [&](const char* name, std::string& into) {
            auto f = c.FindMember(name);
            if (f != c.MemberEnd() && f->value.IsString()) into = f->value.GetString();
          };
          text("call_id", call.call_id);
          text("name", call.name);
          text("arguments", call.arguments);
          text("status", call.status);
          auto ms = c.FindMember("duration_ms");
          if (ms != c.MemberEnd() && ms->value.IsInt64()) call.duration_ms = ms->value.GetInt64();
          out.result.server_calls.push_back(std::move(call));
        }
    }
  }
  return out;
}

}  // namespace troupe::domain
