#include "domain/openai/completion_codec.hpp"

#include <array>

#include "domain/core/clock.hpp"
#include "domain/core/ids.hpp"
#include "domain/core/json.hpp"

namespace troupe::domain {

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_metadata(writer& w, const completion_meta& m) {
  w.Key("metadata");
  w.StartObject();
  w.Key("session_id");
  w.String(m.session_id);
  w.Key("user_id");
  if (m.user_id.empty())
    w.Null();
  else
    w.String(m.user_id);
  w.Key("agent_id");
  w.String(m.model);
  w.Key("message_id");
  w.String(m.message_id);
  if (!m.provider.empty()) {
    w.Key("provider");
    w.String(m.provider);
  }
  w.EndObject();
}

void write_usage(writer& w, const usage& u) {
  w.Key("usage");
  w.StartObject();
  w.Key("prompt_tokens");
  w.Int64(u.prompt_tokens);
  w.Key("completion_tokens");
  w.Int64(u.completion_tokens);
  w.Key("total_tokens");
  w.Int64(u.total());
  w.EndObject();
}

void write_head(writer& w, const completion_meta& m, const char* object) {
  w.Key("id");
  w.String(m.id);
  w.Key("object");
  w.String(object);
  w.Key("created");
  w.Int64(m.created);
  w.Key("model");
  w.String(m.model);
}

// One SSE event: a chat.completion.chunk whose members between the head and
// the metadata `fill` writes.
template <class F>
std::string sse_event(const completion_meta& m, F fill) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  write_head(w, m, "chat.completion.chunk");
  fill(w);
  write_metadata(w, m);
  w.EndObject();
  return "data: " + out.str() + "\n\n";
}

// A chunk with a single choice; `fill_delta` writes the delta's members and
// `extra` any top-level members after the choices.
template <class F, class G>
std::string chunk(const completion_meta& m, F fill_delta, const char* finish_reason, G extra) {
  return sse_event(m, [&](writer& w) {
    w.Key("choices");
    w.StartArray();
    w.StartObject();
    w.Key("index");
    w.Int(0);
    w.Key("delta");
    w.StartObject();
    fill_delta(w);
    w.EndObject();
    w.Key("finish_reason");
    if (finish_reason)
      w.String(finish_reason);
    else
      w.Null();
    w.EndObject();
    w.EndArray();
    extra(w);
  });
}

void nothing(writer&) {}

}  // namespace

completion_meta make_completion_meta(std::string model, std::string session_id,
                                     std::string user_id) {
  completion_meta m;
  m.id = new_id("chatcmpl-");
  m.created = now_ms() / 1000;
  m.model = std::move(model);
  m.session_id = std::move(session_id);
  m.user_id = std::move(user_id);
  m.message_id = new_id("msg-");
  return m;
}

std::string encode_completion(const completion_meta& m, std::string_view content,
                              std::string_view finish_reason, const usage& u) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  write_head(w, m, "chat.completion");
  w.Key("choices");
  w.StartArray();
  w.StartObject();
  w.Key("index");
  w.Int(0);
  w.Key("message");
  w.StartObject();
  w.Key("role");
  w.String("assistant");
  w.Key("content");
  write_string(w, content);
  w.EndObject();
  w.Key("logprobs");
  w.Null();
  w.Key("finish_reason");
  write_string(w, finish_reason);
  w.EndObject();
  w.EndArray();
  write_usage(w, u);
  write_metadata(w, m);
  w.EndObject();
  return out.str();
}

std::string sse_role_chunk(const completion_meta& m) {
  return chunk(
      m,
      [](writer& w) {
        w.Key("role");
        w.String("assistant");
        w.Key("content");
        w.String("");
      },
      nullptr, nothing);
}

std::string sse_content_chunk(const completion_meta& m, std::string_view text) {
  return chunk(
      m,
      [text](writer& w) {
        w.Key("content");
        write_string(w, text);
      },
      nullptr, nothing);
}

std::string sse_finish_chunk(const completion_meta& m, std::string_view finish_reason) {
  std::string reason(finish_reason);
  return chunk(m, nothing, reason.c_str(), nothing);
}

std::string sse_usage_chunk(const completion_meta& m, const usage& u) {
  return sse_event(m, [&](writer& w) {
    w.Key("choices");
    w.StartArray();
    w.EndArray();
    write_usage(w, u);
  });
}

std::string sse_error_chunk(const completion_meta& m, const api_error& e) {
  return chunk(m, nothing, "error", [&](writer& w) {
    w.Key("error");
    write_error_object(w, e);
  });
}

std::int64_t count_words(std::string_view text) {
  // Branch-free: the test provider counts every prompt word of every turn.
  static const auto space = [] {
    std::array<unsigned char, 256> t{};
    t[' '] = t['\n'] = t['\t'] = t['\r'] = 1;
    return t;
  }();
  std::int64_t n = 0;
  unsigned prev_space = 1;
  for (unsigned char c : text) {
    unsigned is_space = space[c];
    n += prev_space & (is_space ^ 1u);
    prev_space = is_space;
  }
  return n;
}

}  // namespace troupe::domain
