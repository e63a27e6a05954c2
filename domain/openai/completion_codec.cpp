#include "domain/openai/completion_codec.hpp"

#include <algorithm>
#include <array>
#include <climits>

#include "domain/core/clock.hpp"
#include "domain/core/ids.hpp"

namespace troupe::domain {

namespace {

using writer = json_writer_t;

// One of the agent's own tool calls: in metadata.tool_calls and as troupe_tool.
void write_server_call(writer& w, const server_tool_call& c) {
  w.StartObject();
  w.Key("call_id");
  write_string(w, c.call_id);
  w.Key("name");
  write_string(w, c.name);
  w.Key("arguments");
  write_string(w, c.arguments);
  w.Key("status");
  write_string(w, c.status);
  w.Key("duration_ms");
  w.Int64(c.duration_ms);
  w.EndObject();
}

void write_server_calls(writer& w, const std::vector<server_tool_call>& calls) {
  w.Key("tool_calls");
  w.StartArray();
  for (auto& c : calls) write_server_call(w, c);
  w.EndArray();
}

void write_metadata(writer& w, const completion_meta& m,
                    const std::vector<server_tool_call>* calls = nullptr) {
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
  if (!m.node_id.empty()) {
    w.Key("node_id");
    w.String(m.node_id);
  }
  if (calls && !calls->empty()) write_server_calls(w, *calls);
  w.EndObject();
}

void write_usage(writer& w, const completion_result& r) {
  w.Key("usage");
  if (!r.usage_json.empty()) return write_raw(w, r.usage_json);
  w.StartObject();
  w.Key("prompt_tokens");
  w.Int64(r.tokens.prompt_tokens);
  w.Key("completion_tokens");
  w.Int64(r.tokens.completion_tokens);
  w.Key("total_tokens");
  w.Int64(r.tokens.total());
  w.EndObject();
}

void write_head(writer& w, const completion_meta& m, const char* object,
                std::string_view fingerprint = {}) {
  w.Key("id");
  w.String(m.id);
  w.Key("object");
  w.String(object);
  w.Key("created");
  w.Int64(m.created);
  w.Key("model");
  w.String(m.model);
  if (fingerprint.empty()) fingerprint = m.system_fingerprint;
  if (!fingerprint.empty()) {
    w.Key("system_fingerprint");
    write_string(w, fingerprint);
  }
}

void write_function(writer& w, const tool_call& c) {
  w.StartObject();
  w.Key("name");
  write_string(w, c.name);
  w.Key("arguments");
  write_string(w, c.arguments);
  w.EndObject();
}

// A reply message as OpenAI shapes it: refusal always present, tool calls
// (or a legacy client's function_call), then the upstream's other fields.
void write_reply_message(writer& w, const chat_message& msg, bool legacy) {
  w.StartObject();
  w.Key("role");
  w.String("assistant");
  w.Key("content");
  if (msg.kind == content_kind::null)
    w.Null();
  else
    write_string(w, msg.content);
  w.Key("refusal");
  if (msg.extra && msg.extra->refusal)
    write_string(w, *msg.extra->refusal);
  else
    w.Null();
  auto& calls = msg.tool_calls();
  if (!calls.empty() && legacy) {
    w.Key("function_call");
    write_function(w, calls.front());
  } else if (!calls.empty()) {
    w.Key("tool_calls");
    w.StartArray();
    for (auto& c : calls) {
      w.StartObject();
      w.Key("id");
      write_string(w, c.id);
      w.Key("type");
      w.String("function");
      w.Key("function");
      write_function(w, c);
      w.EndObject();
    }
    w.EndArray();
  }
  if (msg.extra)
    for (auto& [key, raw] : msg.extra->other) {
      write_string_key(w, key);
      write_raw(w, raw);
    }
  w.EndObject();
}

std::string_view finish_reason_of(const completion_choice& c, bool legacy) {
  if (legacy && c.finish_reason == "tool_calls") return "function_call";
  return c.finish_reason;
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
  std::string event;
  event.reserve(out.buf.GetSize() + 8);
  event.append("data: ").append(out.buf.GetString(), out.buf.GetSize()).append("\n\n");
  return event;
}

// A chunk with a single choice; `fill_delta` writes the delta's members and
// `extra` any top-level members after the choices.
template <class F, class G>
std::string chunk(const completion_meta& m, int index, F fill_delta, const char* finish_reason,
                  G extra, const json_value* logprobs = nullptr) {
  return sse_event(m, [&](writer& w) {
    w.Key("choices");
    w.StartArray();
    w.StartObject();
    w.Key("index");
    w.Int(index);
    w.Key("delta");
    w.StartObject();
    fill_delta(w);
    w.EndObject();
    if (logprobs) {
      w.Key("logprobs");
      logprobs->Accept(w);
    }
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

bool empty_content(const json_value& v) {
  return v.IsNull() || (v.IsString() && v.GetStringLength() == 0);
}

// A legacy client gets the first tool call's fragments as `function_call`
// (fragments of other calls are not its to see).
void write_legacy_call_fragment(writer& w, const json_value& tool_calls) {
  if (!tool_calls.IsArray()) return;
  for (auto& call : tool_calls.GetArray()) {
    if (!call.IsObject()) continue;
    auto idx = call.FindMember("index");
    if (idx != call.MemberEnd() && !(idx->value.IsUint() && idx->value.GetUint() == 0)) continue;
    auto f = call.FindMember("function");
    if (f == call.MemberEnd() || !f->value.IsObject()) continue;
    w.Key("function_call");
    f->value.Accept(w);
    return;
  }
}

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

std::string encode_completion(const completion_meta& m, const completion_result& r) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  write_head(w, m, "chat.completion", r.system_fingerprint);
  w.Key("choices");
  w.StartArray();
  for (auto& c : r.choices) {
    w.StartObject();
    w.Key("index");
    w.Int(c.index);
    w.Key("message");
    write_reply_message(w, c.message, m.legacy_functions);
    w.Key("logprobs");
    if (c.logprobs_json.empty())
      w.Null();
    else
      write_raw(w, c.logprobs_json);
    w.Key("finish_reason");
    write_string(w, finish_reason_of(c, m.legacy_functions));
    w.EndObject();
  }
  w.EndArray();
  write_usage(w, r);
  if (!r.service_tier.empty()) {
    w.Key("service_tier");
    write_string(w, r.service_tier);
  }
  write_metadata(w, m, &r.server_calls);
  w.EndObject();
  return out.str();
}

std::string tool_call_delta(std::size_t slot, const tool_call* head, std::string_view args) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("tool_calls");
  w.StartArray();
  w.StartObject();
  w.Key("index");
  w.Uint64(slot);
  if (head) {
    w.Key("id");
    write_string(w, head->id);
    w.Key("type");
    w.String("function");
  }
  w.Key("function");
  w.StartObject();
  if (head) {
    w.Key("name");
    write_string(w, head->name);
  }
  w.Key("arguments");
  write_string(w, args);
  w.EndObject();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return out.str();
}

bool worth_relaying(const stream_piece& p) {
  if (p.logprobs && !p.logprobs->IsNull()) return true;
  if (!p.delta || !p.delta->IsObject()) return false;
  for (auto it = p.delta->MemberBegin(); it != p.delta->MemberEnd(); ++it) {
    auto key = key_of(it);
    if (key == "role" || it->value.IsNull()) continue;
    if (key == "content" && empty_content(it->value)) continue;
    if (key == "tool_calls" && it->value.IsArray() && it->value.Empty()) continue;
    return true;
  }
  return false;
}

std::string sse_role_chunk(const completion_meta& m, int index) {
  return chunk(
      m, index,
      [](writer& w) {
        w.Key("role");
        w.String("assistant");
        w.Key("content");
        w.String("");
      },
      nullptr, nothing);
}

std::string sse_content_chunk(const completion_meta& m, std::string_view text, int index) {
  return chunk(
      m, index,
      [text](writer& w) {
        w.Key("content");
        write_string(w, text);
      },
      nullptr, nothing);
}

content_chunk_frame sse_content_frame(const completion_meta& m, int index) {
  auto whole = sse_content_chunk(m, "", index);
  // Quotes inside metadata values are escaped, so this occurs once: the delta.
  static constexpr std::string_view cut = "\"delta\":{\"content\":\"\"}";
  auto at = whole.find(cut);
  auto text_at = at + cut.size() - 3;  // at the empty string's opening quote
  return {whole.substr(0, text_at), whole.substr(text_at + 2)};
}

std::string content_chunk_frame::with(std::string_view text) const {
  json_out s;
  write_string(s.w, text);
  std::string out;
  out.reserve(head.size() + s.buf.GetSize() + tail.size());
  out.append(head).append(s.buf.GetString(), s.buf.GetSize()).append(tail);
  return out;
}

std::string sse_piece_chunk(const completion_meta& m, const stream_piece& p) {
  auto fill = [&](writer& w) {
    if (!p.delta || !p.delta->IsObject()) return;
    for (auto it = p.delta->MemberBegin(); it != p.delta->MemberEnd(); ++it) {
      auto key = key_of(it);
      if (key == "role" || it->value.IsNull()) continue;
      if (key == "content" && empty_content(it->value)) continue;
      if (key == "tool_calls" && m.legacy_functions) {
        write_legacy_call_fragment(w, it->value);
        continue;
      }
      write_string_key(w, key);
      it->value.Accept(w);
    }
  };
  auto* logprobs = p.logprobs && !p.logprobs->IsNull() ? p.logprobs : nullptr;
  return chunk(m, p.index, fill, nullptr, nothing, logprobs);
}

std::string sse_finish_chunk(const completion_meta& m, const completion_result& r) {
  return sse_event(m, [&](writer& w) {
    w.Key("choices");
    w.StartArray();
    for (auto& c : r.choices) {
      w.StartObject();
      w.Key("index");
      w.Int(c.index);
      w.Key("delta");
      w.StartObject();
      w.EndObject();
      w.Key("finish_reason");
      write_string(w, finish_reason_of(c, m.legacy_functions));
      w.EndObject();
    }
    w.EndArray();
  });
}

std::string sse_usage_chunk(const completion_meta& m, const completion_result& r) {
  return sse_event(m, [&](writer& w) {
    w.Key("choices");
    w.StartArray();
    w.EndArray();
    write_usage(w, r);
  });
}

std::string sse_error_chunk(const completion_meta& m, const api_error& e) {
  return chunk(m, 0, nothing, "error", [&](writer& w) {
    w.Key("error");
    write_error_object(w, e);
  });
}

std::string sse_tool_chunk(const completion_meta& m, const server_tool_call& c) {
  return chunk(m, 0, nothing, nullptr, [&](writer& w) {
    w.Key("troupe_tool");
    write_server_call(w, c);
  });
}

std::int32_t words_of_text(std::string_view text) {
  return static_cast<std::int32_t>(std::min<std::int64_t>(count_words(text), INT32_MAX));
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
