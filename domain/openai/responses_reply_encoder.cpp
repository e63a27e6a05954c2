// The Responses API's stream: typed events with increasing sequence
// numbers, output items announced as they begin and closed once the turn is
// stored, ending in response.completed (or .incomplete / .failed).
#include <algorithm>
#include <vector>

#include "domain/chat/stored_items.hpp"
#include "domain/openai/response_items.hpp"
#include "domain/openai/responses_codec.hpp"
#include "domain/upstream/upstream_reply.hpp"

namespace troupe::domain {

namespace {

using writer = json_writer_t;

class responses_encoder final : public reply_encoder {
 public:
  explicit responses_encoder(std::shared_ptr<const response_spec> spec) : spec_(std::move(spec)) {}

  void set_session(const std::string&) override {}  // the response names no session

  std::string whole(const completion_result& r, std::string_view) override {
    response_state st;
    st.status = response_status(r);
    st.result = &r;
    return encode_response(*spec_, st);
  }

  std::string delta(std::string_view text, int index) override {
    if (index != 0 || text.empty()) return {};
    std::string out = open();
    out += text_delta(text, nullptr);
    return out;
  }

  std::string piece(const stream_piece& p) override {
    if (p.index != 0 || !p.delta || !p.delta->IsObject()) return {};
    std::string out = open();
    auto& d = *p.delta;
    auto c = d.FindMember("content");
    if (c != d.MemberEnd() && c->value.IsString() && c->value.GetStringLength() > 0)
      out += text_delta({c->value.GetString(), c->value.GetStringLength()}, p.logprobs);
    auto r = d.FindMember("refusal");
    if (r != d.MemberEnd() && r->value.IsString() && r->value.GetStringLength() > 0)
      out += refusal_delta({r->value.GetString(), r->value.GetStringLength()});
    auto calls = d.FindMember("tool_calls");
    if (calls != d.MemberEnd() && calls->value.IsArray())
      for (auto& f : calls->value.GetArray()) out += call_fragment(f);
    return out;
  }

  std::string finish(const completion_result& r, std::string_view, bool) override {
    std::string out = open();
    auto& reply = r.first().message;
    // What the stream never announced (a provider that answered whole) comes now.
    if (!message_ && ((reply.kind == content_kind::text && !reply.content.empty()) ||
                      (reply.extra && reply.extra->refusal))) {
      if (reply.kind == content_kind::text && !reply.content.empty())
        out += text_delta(reply.content, nullptr);
      if (reply.extra && reply.extra->refusal) out += refusal_delta(*reply.extra->refusal);
    }
    for (std::size_t k = 0; k < reply.tool_calls().size(); ++k) {
      auto& c = reply.tool_calls()[k];
      if (std::none_of(calls_.begin(), calls_.end(), [&](auto& x) { return x.call_id == c.id; }))
        out += announce_call(calls_.size(), c.id, c.name, c.arguments);
    }
    // Items close in the order they opened; the final response lists them
    // as it is stored (message first, then calls).
    std::vector<std::pair<int, open_call*>> closing;
    if (message_) closing.emplace_back(message_index_, nullptr);
    for (auto& c : calls_) closing.emplace_back(c.output_index, &c);
    std::sort(closing.begin(), closing.end(), [](auto& a, auto& b) { return a.first < b.first; });
    for (auto& [index, call] : closing) out += call ? close_call(*call, reply) : close_message(reply);
    response_state st;
    st.status = response_status(r);
    st.result = &r;
    out += event(st.status == "completed" ? "response.completed" : "response.incomplete",
                 [&](writer& w) { response_member(w, st); });
    return out;
  }

  std::string failure(const api_error& e) override {
    std::string out = open();
    response_state st;
    st.status = "failed";
    st.error = &e;
    st.order = order_;
    out += event("response.failed", [&](writer& w) { response_member(w, st); });
    return out;
  }

  // Tool runs show nothing in a Responses stream, but they open it (so that
  // keep-alive comments may follow).
  std::string tool_activity(const server_tool_call&) override { return open(); }

  bool opened() const override { return opened_; }

 private:
  struct open_call {
    std::size_t slot = 0;
    int output_index = 0;
    std::string call_id, name, arguments;
  };
  struct open_part {
    bool refusal = false;
    std::string text;
  };

  template <class F>
  std::string event(const char* type, F fill) {
    json_out out;
    auto& w = out.w;
    w.StartObject();
    w.Key("type");
    w.String(type);
    w.Key("sequence_number");
    w.Int64(seq_++);
    fill(w);
    w.EndObject();
    std::string e = "event: ";
    e.append(type).append("\ndata: ").append(out.buf.GetString(), out.buf.GetSize()).append("\n\n");
    return e;
  }

  void response_member(writer& w, const response_state& st) {
    w.Key("response");
    write_raw(w, encode_response(*spec_, st));
  }

  std::string open() {
    if (opened_) return {};
    opened_ = true;
    response_state st;
    st.status = "in_progress";
    auto out = event("response.created", [&](writer& w) { response_member(w, st); });
    out += event("response.in_progress", [&](writer& w) { response_member(w, st); });
    return out;
  }

  void item_head(writer& w, int output_index) {
    w.Key("item_id");
    write_string(w, spec_->message_item_id);
    w.Key("output_index");
    w.Int(output_index);
  }

  void write_part(writer& w, const open_part& p) {
    w.StartObject();
    w.Key("type");
    w.String(p.refusal ? "refusal" : "output_text");
    w.Key(p.refusal ? "refusal" : "text");
    write_string(w, p.text);
    if (!p.refusal) {
      w.Key("annotations");
      w.StartArray();
      w.EndArray();
    }
    w.EndObject();
  }

  // The message item and a content part of the kind needed, opened once.
  std::string ensure_part(bool refusal) {
    std::string out;
    if (!message_) {
      message_index_ = next_index_++;
      order_.push_back(spec_->message_item_id);
      message_ = true;
      out += event("response.output_item.added", [&](writer& w) {
        w.Key("output_index");
        w.Int(message_index_);
        w.Key("item");
        w.StartObject();
        w.Key("id");
        write_string(w, spec_->message_item_id);
        w.Key("type");
        w.String("message");
        w.Key("status");
        w.String("in_progress");
        w.Key("role");
        w.String("assistant");
        w.Key("content");
        w.StartArray();
        w.EndArray();
        w.EndObject();
      });
    }
    if (parts_.empty() || parts_.back().refusal != refusal) {
      parts_.push_back({refusal, {}});
      out += event("response.content_part.added", [&](writer& w) {
        item_head(w, message_index_);
        w.Key("content_index");
        w.Int(static_cast<int>(parts_.size() - 1));
        w.Key("part");
        write_part(w, parts_.back());
      });
    }
    return out;
  }

  std::string text_delta(std::string_view text, const json_value* logprobs) {
    auto out = ensure_part(false);
    parts_.back().text.append(text);
    out += event("response.output_text.delta", [&](writer& w) {
      item_head(w, message_index_);
      w.Key("content_index");
      w.Int(static_cast<int>(parts_.size() - 1));
      w.Key("delta");
      write_string(w, text);
      w.Key("logprobs");
      const json_value* tokens = nullptr;
      if (spec_->output_logprobs && logprobs && logprobs->IsObject()) {
        auto c = logprobs->FindMember("content");
        if (c != logprobs->MemberEnd() && c->value.IsArray()) tokens = &c->value;
      }
      if (tokens) {
        tokens->Accept(w);
      } else {
        w.StartArray();
        w.EndArray();
      }
    });
    return out;
  }

  std::string refusal_delta(std::string_view text) {
    auto out = ensure_part(true);
    parts_.back().text.append(text);
    out += event("response.refusal.delta", [&](writer& w) {
      item_head(w, message_index_);
      w.Key("content_index");
      w.Int(static_cast<int>(parts_.size() - 1));
      w.Key("delta");
      write_string(w, text);
    });
    return out;
  }

  void call_item(writer& w, const open_call& c, bool done) {
    w.StartObject();
    w.Key("id");
    write_string(w, function_call_item_id(spec_->message_item_id, c.call_id));
    w.Key("type");
    w.String("function_call");
    w.Key("status");
    w.String(done ? "completed" : "in_progress");
    w.Key("call_id");
    write_string(w, c.call_id);
    w.Key("name");
    write_string(w, c.name);
    w.Key("arguments");
    write_string(w, done ? c.arguments : std::string());
    w.EndObject();
  }

  std::string announce_call(std::size_t slot, std::string call_id, std::string name,
                            std::string_view arguments) {
    calls_.push_back({slot, next_index_++, std::move(call_id), std::move(name), {}});
    order_.push_back(function_call_item_id(spec_->message_item_id, calls_.back().call_id));
    auto& c = calls_.back();
    auto out = event("response.output_item.added", [&](writer& w) {
      w.Key("output_index");
      w.Int(c.output_index);
      w.Key("item");
      call_item(w, c, false);
    });
    return out + arguments_delta(c, arguments);
  }

  std::string arguments_delta(open_call& c, std::string_view piece) {
    if (piece.empty()) return {};
    c.arguments.append(piece);
    return event("response.function_call_arguments.delta", [&](writer& w) {
      w.Key("item_id");
      write_string(w, function_call_item_id(spec_->message_item_id, c.call_id));
      w.Key("output_index");
      w.Int(c.output_index);
      w.Key("delta");
      write_string(w, piece);
    });
  }

  std::string call_fragment(const json_value& f) {
    if (!f.IsObject()) return {};
    auto idx = f.FindMember("index");
    std::size_t slot = idx != f.MemberEnd() && idx->value.IsUint() ? idx->value.GetUint()
                                                                   : tool_call_slot(f, calls_.size());
    std::string_view args;
    auto fn = f.FindMember("function");
    std::string name;
    if (fn != f.MemberEnd() && fn->value.IsObject()) {
      auto a = fn->value.FindMember("arguments");
      if (a != fn->value.MemberEnd() && a->value.IsString()) args = a->value.GetString();
      auto n = fn->value.FindMember("name");
      if (n != fn->value.MemberEnd() && n->value.IsString()) name = n->value.GetString();
    }
    for (auto& c : calls_)
      if (c.slot == slot) return arguments_delta(c, args);
    auto id = f.FindMember("id");
    std::string call_id = id != f.MemberEnd() && id->value.IsString() ? id->value.GetString()
                                                                      : "call_" + std::to_string(slot);
    return announce_call(slot, std::move(call_id), std::move(name), args);
  }

  std::string close_message(const chat_message& reply) {
    std::string out;
    for (std::size_t i = 0; i < parts_.size(); ++i) {
      auto& p = parts_[i];
      if (!p.refusal) {
        p.text = reply.content;  // the stored text (with any prefix) is the truth
        out += event("response.output_text.done", [&](writer& w) {
          item_head(w, message_index_);
          w.Key("content_index");
          w.Int(static_cast<int>(i));
          w.Key("text");
          write_string(w, p.text);
          w.Key("logprobs");
          w.StartArray();
          w.EndArray();
        });
      } else {
        out += event("response.refusal.done", [&](writer& w) {
          item_head(w, message_index_);
          w.Key("content_index");
          w.Int(static_cast<int>(i));
          w.Key("refusal");
          write_string(w, p.text);
        });
      }
      out += event("response.content_part.done", [&](writer& w) {
        item_head(w, message_index_);
        w.Key("content_index");
        w.Int(static_cast<int>(i));
        w.Key("part");
        write_part(w, p);
      });
    }
    out += event("response.output_item.done", [&](writer& w) {
      w.Key("output_index");
      w.Int(message_index_);
      w.Key("item");
      w.StartObject();
      w.Key("id");
      write_string(w, spec_->message_item_id);
      w.Key("type");
      w.String("message");
      w.Key("status");
      w.String("completed");
      w.Key("role");
      w.String("assistant");
      w.Key("content");
      w.StartArray();
      for (auto& p : parts_) write_part(w, p);
      w.EndArray();
      w.EndObject();
    });
    return out;
  }

  std::string close_call(open_call& c, const chat_message& reply) {
    for (auto& stored : reply.tool_calls())
      if (stored.id == c.call_id) c.arguments = stored.arguments, c.name = stored.name;
    auto out = event("response.function_call_arguments.done", [&](writer& w) {
      w.Key("item_id");
      write_string(w, function_call_item_id(spec_->message_item_id, c.call_id));
      w.Key("output_index");
      w.Int(c.output_index);
      w.Key("name");
      write_string(w, c.name);
      w.Key("arguments");
      write_string(w, c.arguments);
    });
    out += event("response.output_item.done", [&](writer& w) {
      w.Key("output_index");
      w.Int(c.output_index);
      w.Key("item");
      call_item(w, c, true);
    });
    return out;
  }

  std::shared_ptr<const response_spec> spec_;
  std::int64_t seq_ = 0;
  bool opened_ = false;
  bool message_ = false;
  int message_index_ = 0;
  int next_index_ = 0;
  std::vector<open_part> parts_;
  std::vector<open_call> calls_;
  std::vector<std::string> order_;
};

}  // namespace

std::unique_ptr<reply_encoder> responses_reply_encoder(std::shared_ptr<const response_spec> spec) {
  return std::make_unique<responses_encoder>(std::move(spec));
}

}  // namespace troupe::domain
