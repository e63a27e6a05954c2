#include "domain/upstream/upstream_reply.hpp"

#include <algorithm>

#include "domain/core/json.hpp"
#include "domain/openai/message_codec.hpp"

namespace troupe::domain {

namespace {

const json_value* member(const json_value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

std::string text_of(const json_value& v) { return {v.GetString(), v.GetStringLength()}; }

// Reads "usage" when present; false when it is there but malformed.
bool read_usage(const json_value& root, usage& tokens, std::string& raw) {
  auto* u = member(root, "usage");
  if (!u) return true;
  auto* p = member(*u, "prompt_tokens");
  auto* c = member(*u, "completion_tokens");
  if (!u->IsObject() || (p && !p->IsInt64()) || (c && !c->IsInt64())) return false;
  tokens = usage{p ? p->GetInt64() : 0, c ? c->GetInt64() : 0};
  raw = to_json_text(*u);
  return true;
}

// The choice's finish_reason when it is a string; false when it is another type.
bool read_finish(const json_value& choice, std::string& out) {
  auto* f = member(choice, "finish_reason");
  if (!f) return true;
  if (!f->IsString()) return false;
  out = text_of(*f);
  return true;
}

// system_fingerprint and service_tier, strings when present.
void read_extras(const json_value& root, std::string& fingerprint, std::string& tier) {
  if (auto* s = member(root, "system_fingerprint"); s && s->IsString()) fingerprint = text_of(*s);
  if (auto* s = member(root, "service_tier"); s && s->IsString()) tier = text_of(*s);
}

bool parse(std::string_view text, rapidjson::Document& doc, std::string& error) {
  try {
    parse_json(text, doc);
  } catch (const api_error& e) {
    error = e.message;
    return false;
  }
  if (!doc.IsObject()) {
    error = "not a JSON object";
    return false;
  }
  return true;
}

// The error an upstream embedded in a JSON document, if any.
std::optional<std::string> embedded_error(const json_value& doc) {
  auto* e = member(doc, "error");
  if (!e) return std::nullopt;
  if (e->IsString()) return text_of(*e);
  if (auto* m = member(*e, "message"); m && m->IsString()) return text_of(*m);
  return to_json_text(*e);
}

// A reply message: an assistant message in the request format, which some
// servers send without a role.
bool read_reply_message(const json_value& v, chat_message& out, std::string& error) {
  if (!v.IsObject()) {
    error = "the message is not an object";
    return false;
  }
  try {
    if (!member(v, "role")) {
      rapidjson::Document copy;
      copy.CopyFrom(v, copy.GetAllocator());
      copy.AddMember("role", "assistant", copy.GetAllocator());
      out = read_message(copy, "message");
    } else {
      out = read_message(v, "message");
    }
  } catch (const api_error& e) {
    error = e.message;
    return false;
  }
  if (out.role != role::assistant) {
    error = "the message's role is not assistant";
    return false;
  }
  return true;
}

}  // namespace

std::optional<completion_result> parse_upstream_completion(std::string_view body,
                                                           std::string& error) {
  rapidjson::Document doc;
  if (!parse(body, doc, error)) return std::nullopt;
  if (auto e = embedded_error(doc)) {
    error = "upstream error: " + *e;
    return std::nullopt;
  }
  auto* choices = member(doc, "choices");
  if (!choices || !choices->IsArray() || choices->Empty()) {
    error = "no choices in the reply";
    return std::nullopt;
  }
  completion_result out;
  out.choices.clear();
  for (rapidjson::SizeType i = 0; i < choices->Size(); ++i) {
    auto& choice = (*choices)[i];
    completion_choice c;
    c.index = static_cast<int>(i);
    if (auto* idx = member(choice, "index"); idx && idx->IsInt()) c.index = idx->GetInt();
    auto* message = member(choice, "message");
    std::string why;
    if (!message || !read_reply_message(*message, c.message, why)) {
      error = "choices[" + std::to_string(i) + "].message is malformed" +
              (why.empty() ? "" : ": " + why);
      return std::nullopt;
    }
    if (!read_finish(choice, c.finish_reason)) {
      error = "malformed finish_reason";
      return std::nullopt;
    }
    if (c.finish_reason.empty()) c.finish_reason = "stop";
    if (auto* lp = member(choice, "logprobs")) c.logprobs_json = to_json_text(*lp);
    out.choices.push_back(std::move(c));
  }
  std::sort(out.choices.begin(), out.choices.end(),
            [](auto& a, auto& b) { return a.index < b.index; });
  if (!read_usage(doc, out.tokens, out.usage_json)) {
    error = "malformed usage";
    return std::nullopt;
  }
  read_extras(doc, out.system_fingerprint, out.service_tier);
  return out;
}

std::string upstream_error_message(std::string_view body) {
  rapidjson::Document doc;
  std::string ignored;
  if (parse(body, doc, ignored)) {
    if (auto e = embedded_error(doc)) return *e;
    for (auto key : {"message", "detail"})
      if (auto* m = member(doc, key); m && m->IsString()) return text_of(*m);
  }
  // Not JSON (an HTML error page, a proxy's text): its start, as printable ASCII.
  constexpr std::size_t max_len = 300;
  std::string out;
  for (unsigned char c : body.substr(0, max_len))
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : ' ';
  if (body.size() > max_len) out += "...";
  return out.find_first_not_of(' ') == std::string::npos ? "(empty body)" : out;
}

upstream_error_info parse_upstream_error(std::string_view body) {
  upstream_error_info out;
  out.message = upstream_error_message(body);
  rapidjson::Document doc;
  std::string ignored;
  if (!parse(body, doc, ignored)) return out;
  auto* e = member(doc, "error");
  if (!e || !e->IsObject()) return out;
  if (auto* p = member(*e, "param"); p && p->IsString()) out.param = text_of(*p);
  if (auto* c = member(*e, "code"); c && c->IsString()) out.code = text_of(*c);
  return out;
}

bool upstream_stream_decoder::fail(std::string why, bool reported) {
  state_ = state::failed;
  error_ = std::move(why);
  upstream_reported_ = reported;
  return false;
}

std::size_t tool_call_slot(const json_value& fragment, std::size_t calls_so_far) {
  auto* id = member(fragment, "id");
  bool opens = id && id->IsString();
  return opens || calls_so_far == 0 ? calls_so_far : calls_so_far - 1;
}

upstream_stream_decoder::choice_sum& upstream_stream_decoder::choice(int index) {
  for (auto& c : choices_)
    if (c.index == index) return c;
  choices_.push_back(choice_sum{});
  choices_.back().index = index;
  return choices_.back();
}

// Adds one tool call fragment list (or a legacy function_call) to the sums.
bool upstream_stream_decoder::add_delta(choice_sum& c, const json_value& delta) {
  if (!delta.IsObject()) return false;
  if (auto* content = member(delta, "content")) {
    if (!content->IsString()) return false;
    c.content.append(content->GetString(), content->GetStringLength());
    c.has_content = c.has_content || content->GetStringLength() > 0;
  }
  if (auto* refusal = member(delta, "refusal")) {
    if (!refusal->IsString()) return false;
    if (!c.refusal) c.refusal.emplace();
    c.refusal->append(refusal->GetString(), refusal->GetStringLength());
  }
  auto fragment = [&](std::size_t slot, const json_value& call) {
    // The upstream names the slot: a bounded number of calls, never its whim of memory.
    if (!call.IsObject() || slot >= max_tool_calls_per_reply) return false;
    if (c.calls.size() <= slot) c.calls.resize(slot + 1);
    auto& out = c.calls[slot];
    if (auto* id = member(call, "id"); id && id->IsString()) out.id = text_of(*id);
    auto* fn = member(call, "function");
    if (!fn) fn = &call;  // legacy function_call: {name, arguments}
    if (auto* name = member(*fn, "name"); name && name->IsString()) out.name += text_of(*name);
    if (auto* args = member(*fn, "arguments"); args && args->IsString())
      out.arguments += text_of(*args);
    return true;
  };
  if (auto* calls = member(delta, "tool_calls")) {
    if (!calls->IsArray()) return false;
    for (auto& call : calls->GetArray()) {
      auto* idx = member(call, "index");
      if (idx && !idx->IsUint()) return false;
      if (!fragment(idx ? idx->GetUint() : tool_call_slot(call, c.calls.size()), call)) return false;
    }
  }
  if (auto* fc = member(delta, "function_call"))
    if (!fragment(0, *fc)) return false;
  return true;
}

bool upstream_stream_decoder::event(std::string_view data, const on_piece& f) {
  if (data == "[DONE]") {
    state_ = state::done;
    return false;
  }
  rapidjson::Document doc;
  std::string error;
  if (!parse(data, doc, error)) return fail("malformed stream event: " + error);
  if (auto e = embedded_error(doc)) return fail(*e, true);
  if (!read_usage(doc, tokens_, usage_json_)) return fail("malformed usage in the stream");
  read_extras(doc, system_fingerprint_, service_tier_);
  auto* choices = member(doc, "choices");
  if (!choices) return true;  // e.g. a keep-alive or usage-only event
  if (choices->IsArray() && choices->Size() > max_choices_per_reply)
    return fail("malformed stream event: too many choices");
  if (!choices->IsArray()) return fail("malformed stream event: 'choices' is not an array");
  for (rapidjson::SizeType i = 0; i < choices->Size(); ++i) {
    auto& ch = (*choices)[i];
    if (!ch.IsObject()) return fail("malformed stream event: a choice is not an object");
    int index = 0;
    if (auto* idx = member(ch, "index")) {
      if (!idx->IsInt() || idx->GetInt() < 0 || idx->GetInt() >= static_cast<int>(max_choices_per_reply))
        return fail("malformed stream event: bad index");
      index = idx->GetInt();
    }
    auto& sum = choice(index);
    auto* delta = member(ch, "delta");
    std::string finish;
    if ((delta && !add_delta(sum, *delta)) || !read_finish(ch, finish))
      return fail("malformed stream event: bad delta or finish_reason");
    stream_piece piece;
    piece.index = index;
    piece.delta = delta;
    piece.logprobs = member(ch, "logprobs");
    piece.system_fingerprint = system_fingerprint_;
    if (piece.logprobs) {
      // Per-token logprobs arrive chunk by chunk; the whole reply holds them all.
      auto* content = member(*piece.logprobs, "content");
      if (content && content->IsArray() && !content->Empty()) {
        auto text = to_json_text(*content);
        if (sum.logprobs_json.empty())
          sum.logprobs_json = text;
        else
          sum.logprobs_json.insert(sum.logprobs_json.size() - 1, "," + text.substr(1, text.size() - 2));
      }
    }
    if (worth_relaying(piece)) {
      started_ = true;
      f(piece);
    }
    if (!finish.empty()) {
      sum.finish_reason = finish;
      saw_finish_ = true;
    }
  }
  return true;
}

completion_result upstream_stream_decoder::result() const {
  completion_result out;
  out.choices.clear();
  auto sorted = choices_;
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.index < b.index; });
  for (auto& s : sorted) {
    completion_choice c;
    c.index = s.index;
    c.finish_reason = s.finish_reason.empty() ? "stop" : s.finish_reason;
    if (!s.logprobs_json.empty()) c.logprobs_json = "{\"content\":" + s.logprobs_json + "}";
    c.message.content = s.content;
    message_extra x;
    x.tool_calls = s.calls;
    x.refusal = s.refusal;
    if (!s.has_content && (!x.tool_calls.empty() || x.refusal)) c.message.kind = content_kind::null;
    if (!x.empty()) c.message.extra = std::make_shared<const message_extra>(std::move(x));
    out.choices.push_back(std::move(c));
  }
  if (out.choices.empty()) out.choices.emplace_back();
  out.tokens = tokens_;
  out.usage_json = usage_json_;
  out.system_fingerprint = system_fingerprint_;
  out.service_tier = service_tier_;
  return out;
}

bool upstream_stream_decoder::feed(std::string_view bytes, const on_piece& f) {
  if (state_ != state::open) return false;
  bool go = sse_.feed(bytes, [&](std::string_view data) { return event(data, f); });
  if (sse_.overflowed()) return fail("a stream event was too large");
  return go;
}

bool upstream_stream_decoder::finish(const on_piece& f) {
  if (state_ == state::open) {
    sse_.finish([&](std::string_view data) { return event(data, f); });
    if (sse_.overflowed()) fail("a stream event was too large");
  }
  if (state_ == state::open) {
    // Some servers end with a finish_reason and no [DONE]; that is complete too.
    if (saw_finish_) state_ = state::done;
    else fail("the upstream closed the stream before it was complete");
  }
  return state_ == state::done;
}

}  // namespace troupe::domain
