#include "domain/openai/responses_codec.hpp"

#include <algorithm>

#include "domain/core/json.hpp"
#include "domain/openai/response_items.hpp"

namespace troupe::domain {

namespace {

using writer = json_writer_t;

void raw_or_null(writer& w, const char* key, const std::string& raw) {
  w.Key(key);
  if (raw.empty())
    w.Null();
  else
    write_raw(w, raw);
}

void string_or_null(writer& w, const char* key, const std::string& s) {
  w.Key(key);
  if (s.empty())
    w.Null();
  else
    write_string(w, s);
}

std::int64_t detail_of(const json_value& usage, const char* details, const char* key) {
  auto d = usage.FindMember(details);
  if (d == usage.MemberEnd() || !d->value.IsObject()) return 0;
  auto v = d->value.FindMember(key);
  return v != d->value.MemberEnd() && v->value.IsInt64() ? v->value.GetInt64() : 0;
}

void write_usage(writer& w, const completion_result& r) {
  std::int64_t cached = 0, reasoning = 0;
  if (!r.usage_json.empty()) {
    rapidjson::Document u;
    u.Parse(r.usage_json.data(), r.usage_json.size());
    if (u.IsObject()) {
      cached = detail_of(u, "prompt_tokens_details", "cached_tokens");
      reasoning = detail_of(u, "completion_tokens_details", "reasoning_tokens");
    }
  }
  w.Key("usage");
  w.StartObject();
  w.Key("input_tokens");
  w.Int64(r.tokens.prompt_tokens);
  w.Key("input_tokens_details");
  w.StartObject();
  w.Key("cached_tokens");
  w.Int64(cached);
  w.EndObject();
  w.Key("output_tokens");
  w.Int64(r.tokens.completion_tokens);
  w.Key("output_tokens_details");
  w.StartObject();
  w.Key("reasoning_tokens");
  w.Int64(reasoning);
  w.EndObject();
  w.Key("total_tokens");
  w.Int64(r.tokens.total());
  w.EndObject();
}

// The output items: the message (text or refusal) and the function calls,
// in `order` when given.
void write_output(writer& w, const response_spec& spec, const response_state& st) {
  w.Key("output");
  w.StartArray();
  if (st.result) {
    auto item = reply_item(spec, st.result->first().message);
    json_out items;
    items.w.StartArray();
    write_items(items.w, item);
    items.w.EndArray();
    rapidjson::Document d;
    d.Parse(items.buf.GetString(), items.buf.GetSize());
    std::vector<const json_value*> out;
    for (auto& x : d.GetArray()) out.push_back(&x);
    auto rank = [&](const json_value* x) {
      auto at = std::find(st.order.begin(), st.order.end(), x->FindMember("id")->value.GetString());
      return at - st.order.begin();
    };
    std::stable_sort(out.begin(), out.end(), [&](auto* a, auto* b) { return rank(a) < rank(b); });
    for (auto* x : out) {
      if (spec.output_logprobs && std::string_view((*x)["type"].GetString()) == "message" &&
          !st.result->first().logprobs_json.empty()) {
        // The token logprobs go with the text part.
        rapidjson::Document lp;
        lp.Parse(st.result->first().logprobs_json.c_str());
        rapidjson::Document copy;
        copy.CopyFrom(*x, copy.GetAllocator());
        auto c = lp.IsObject() ? lp.FindMember("content") : lp.MemberEnd();
        for (auto& part : copy["content"].GetArray())
          if (part["type"] == "output_text" && lp.IsObject() && c != lp.MemberEnd())
            part.AddMember("logprobs", rapidjson::Value(c->value, copy.GetAllocator()),
                           copy.GetAllocator());
        copy.Accept(w);
      } else {
        x->Accept(w);
      }
    }
  }
  w.EndArray();
}

}  // namespace

std::string response_status(const completion_result& r) {
  auto& f = r.first().finish_reason;
  return f == "length" || f == "content_filter" ? "incomplete" : "completed";
}

stored_item reply_item(const response_spec& spec, const chat_message& reply) {
  return stored_item{spec.message_item_id, reply};
}

std::string encode_response(const response_spec& spec, const response_state& st) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("id");
  write_string(w, spec.id);
  w.Key("object");
  w.String("response");
  w.Key("created_at");
  w.Int64(spec.created_at);
  w.Key("status");
  write_string(w, st.status);
  w.Key("background");
  w.Bool(false);
  w.Key("error");
  if (st.error) {
    w.StartObject();
    w.Key("code");
    write_string(w, st.error->code.empty() ? std::string("server_error") : st.error->code);
    w.Key("message");
    write_string(w, st.error->message);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("incomplete_details");
  if (st.status == "incomplete" && st.result) {
    w.StartObject();
    w.Key("reason");
    w.String(st.result->first().finish_reason == "length" ? "max_output_tokens" : "content_filter");
    w.EndObject();
  } else {
    w.Null();
  }
  string_or_null(w, "instructions", spec.instructions);
  w.Key("max_output_tokens");
  if (spec.max_output_tokens) w.Int64(*spec.max_output_tokens);
  else w.Null();
  w.Key("model");
  write_string(w, spec.model);
  write_output(w, spec, st);
  w.Key("parallel_tool_calls");
  w.Bool(spec.parallel_tool_calls);
  string_or_null(w, "previous_response_id", spec.previous_response_id);
  w.Key("conversation");
  if (spec.conversation_id.empty()) {
    w.Null();
  } else {
    w.StartObject();
    w.Key("id");
    write_string(w, spec.conversation_id);
    w.EndObject();
  }
  raw_or_null(w, "reasoning", spec.reasoning_json);
  w.Key("store");
  w.Bool(spec.store);
  w.Key("temperature");
  if (spec.temperature) w.Double(*spec.temperature);
  else w.Double(1.0);
  raw_or_null(w, "text", spec.text_json);
  raw_or_null(w, "tool_choice", spec.tool_choice_json);
  raw_or_null(w, "tools", spec.tools_json);
  w.Key("top_p");
  if (spec.top_p) w.Double(*spec.top_p);
  else w.Double(1.0);
  w.Key("truncation");
  write_string(w, spec.truncation);
  if (st.result) {
    write_usage(w, *st.result);
  } else {
    w.Key("usage");
    w.Null();
  }
  string_or_null(w, "user", spec.user);
  if (!spec.safety_identifier.empty()) string_or_null(w, "safety_identifier", spec.safety_identifier);
  raw_or_null(w, "metadata", spec.metadata_json);
  w.EndObject();
  return out.str();
}

response_storage store_response(const response_spec& spec, const completion_result& r,
                                const message_list& added, stored_turn_layout layout,
                                const std::string& session_id, const std::string& user_id,
                                std::int64_t end_count, std::int64_t now_ms) {
  response_storage out;
  std::vector<stored_item> inputs;
  for (std::size_t i = 0; i < added.size(); ++i) {
    out.item_ids.push_back(i == layout.reply_at ? spec.message_item_id : new_item_id(added[i].role));
    if (i < layout.inputs_end) inputs.push_back({out.item_ids.back(), added[i]});
  }
  auto& rec = out.record;
  rec.id = spec.id;
  rec.session_id = session_id;
  rec.user_id = user_id;
  rec.end_count = end_count;
  rec.created_at_ms = now_ms;
  response_state st;
  st.status = response_status(r);
  st.result = &r;
  rec.body = encode_response(spec, st);
  rec.input_items = "[";
  for (auto& item : item_jsons(inputs)) {
    if (rec.input_items.size() > 1) rec.input_items += ',';
    rec.input_items += item;
  }
  rec.input_items += ']';
  // What the response shows: its text and the calls the client must run.
  auto& reply = r.first().message;
  if ((reply.kind == content_kind::text && !reply.content.empty()) || (reply.extra && reply.extra->refusal))
    rec.output_item_ids.push_back(spec.message_item_id);
  for (auto& c : reply.tool_calls()) rec.output_item_ids.push_back(function_call_item_id(spec.message_item_id, c.id));
  return out;
}

}  // namespace troupe::domain
