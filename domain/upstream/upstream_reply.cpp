#include "domain/upstream/upstream_reply.hpp"

#include "domain/core/json.hpp"

namespace troupe::domain {

namespace {

const json_value* member(const json_value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

std::string text_of(const json_value& v) { return {v.GetString(), v.GetStringLength()}; }

// Reads "usage" when present; false when it is there but malformed.
bool read_usage(const json_value& root, std::optional<usage>& out) {
  auto* u = member(root, "usage");
  if (!u) return true;
  auto* p = member(*u, "prompt_tokens");
  auto* c = member(*u, "completion_tokens");
  if (!u->IsObject() || (p && !p->IsInt64()) || (c && !c->IsInt64())) return false;
  out = usage{p ? p->GetInt64() : 0, c ? c->GetInt64() : 0};
  return true;
}

// The choice's finish_reason when it is a string; false when it is another type.
bool read_finish(const json_value& choice, std::optional<std::string>& out) {
  auto* f = member(choice, "finish_reason");
  if (!f) return true;
  if (!f->IsString()) return false;
  out = text_of(*f);
  return true;
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

}  // namespace

std::optional<upstream_completion> parse_upstream_completion(std::string_view body,
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
  auto& choice = (*choices)[0];
  auto* message = member(choice, "message");
  auto* content = message ? member(*message, "content") : nullptr;
  if (!message || !message->IsObject() || (content && !content->IsString())) {
    error = "choices[0].message.content is not a string";
    return std::nullopt;
  }
  upstream_completion out;
  if (content) out.content = text_of(*content);
  std::optional<std::string> finish;
  if (!read_finish(choice, finish) || !read_usage(doc, out.tokens)) {
    error = "malformed finish_reason or usage";
    return std::nullopt;
  }
  if (finish) out.finish_reason = *finish;
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

bool upstream_stream_decoder::fail(std::string why, bool reported) {
  state_ = state::failed;
  error_ = std::move(why);
  upstream_reported_ = reported;
  return false;
}

bool upstream_stream_decoder::event(std::string_view data, const on_delta& f) {
  if (data == "[DONE]") {
    state_ = state::done;
    return false;
  }
  rapidjson::Document doc;
  std::string error;
  if (!parse(data, doc, error)) return fail("malformed stream event: " + error);
  if (auto e = embedded_error(doc)) return fail(*e, true);
  if (!read_usage(doc, result_.tokens)) return fail("malformed usage in the stream");
  auto* choices = member(doc, "choices");
  if (!choices) return true;  // e.g. a keep-alive or usage-only event
  if (!choices->IsArray()) return fail("malformed stream event: 'choices' is not an array");
  if (choices->Empty()) return true;
  auto& choice = (*choices)[0];
  auto* delta = member(choice, "delta");
  auto* content = delta ? member(*delta, "content") : nullptr;
  std::optional<std::string> finish;
  if ((content && !content->IsString()) || !read_finish(choice, finish))
    return fail("malformed stream event: bad delta or finish_reason");
  if (content && content->GetStringLength() > 0) {
    std::string_view text(content->GetString(), content->GetStringLength());
    result_.content.append(text);
    started_ = true;
    f(text);
  }
  if (finish) {
    result_.finish_reason = *finish;
    saw_finish_ = true;
  }
  return true;
}

bool upstream_stream_decoder::feed(std::string_view bytes, const on_delta& f) {
  if (state_ != state::open) return false;
  bool go = sse_.feed(bytes, [&](std::string_view data) { return event(data, f); });
  if (sse_.overflowed()) return fail("a stream event was too large");
  return go;
}

bool upstream_stream_decoder::finish(const on_delta& f) {
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
