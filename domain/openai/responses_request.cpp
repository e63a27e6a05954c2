#include "domain/openai/responses_request.hpp"

#include <fmt/format.h>

#include "domain/core/clock.hpp"
#include "domain/core/ids.hpp"

namespace troupe::domain {

namespace {

const json_value* member(const json_value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

// Responses tools ({type, name, description, parameters, strict}) as chat tools.
void write_chat_tools(json_writer_t& w, const json_value& tools) {
  get_array(tools, "tools");
  w.StartArray();
  for (rapidjson::SizeType i = 0; i < tools.Size(); ++i) {
    auto p = fmt::format("tools[{}]", i);
    auto& t = get_object(tools[i], p);
    auto* type = member(t, "type");
    if (!type) throw unprocessable(fmt::format("'{}.type' is required", p), p + ".type");
    if (get_string(*type, p + ".type") != "function")
      throw bad_request(fmt::format("'{}.type': only function tools can go to a chat-completions "
                                    "model",
                                    p),
                        p + ".type");
    w.StartObject();
    w.Key("type");
    w.String("function");
    w.Key("function");
    w.StartObject();
    for (auto it = t.MemberBegin(); it != t.MemberEnd(); ++it) {
      if (key_of(it) == "type") continue;
      write_string_key(w, key_of(it));
      it->value.Accept(w);
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
}

void write_chat_tool_choice(json_writer_t& w, const json_value& v) {
  if (v.IsString()) return v.Accept(w), void();
  auto& o = get_object(v, "tool_choice");
  auto* type = member(o, "type");
  if (!type || get_string(*type, "tool_choice.type") != "function")
    throw bad_request("'tool_choice' must be none, auto, required or {\"type\":\"function\",\"name\"}",
                      "tool_choice");
  auto* name = member(o, "name");
  if (!name) throw unprocessable("'tool_choice.name' is required", "tool_choice.name");
  w.StartObject();
  w.Key("type");
  w.String("function");
  w.Key("function");
  w.StartObject();
  w.Key("name");
  write_string(w, get_string(*name, "tool_choice.name"));
  w.EndObject();
  w.EndObject();
}

// text.format as a chat response_format; false when it is plain text.
bool write_response_format(json_writer_t& w, const json_value& text) {
  auto* format = member(get_object(text, "text"), "format");
  if (!format) return false;
  auto& f = get_object(*format, "text.format");
  auto* type = member(f, "type");
  if (!type) throw unprocessable("'text.format.type' is required", "text.format.type");
  auto t = get_string(*type, "text.format.type");
  if (t == "text") return false;
  w.StartObject();
  w.Key("type");
  write_string(w, t);
  if (t == "json_schema") {
    w.Key("json_schema");
    w.StartObject();
    for (auto it = f.MemberBegin(); it != f.MemberEnd(); ++it) {
      if (key_of(it) == "type") continue;
      write_string_key(w, key_of(it));
      it->value.Accept(w);
    }
    w.EndObject();
  }
  w.EndObject();
  return true;
}

// Chat-side names of errors → the Responses fields the client wrote.
std::string responses_param(std::string param) {
  auto replace = [&](std::string_view from, std::string_view to) {
    if (param.rfind(from, 0) == 0) param = std::string(to) + param.substr(from.size());
  };
  replace("response_format.json_schema", "text.format");
  replace("response_format", "text.format");
  replace("max_completion_tokens", "max_output_tokens");
  auto fn = param.find(".function.");
  if (param.rfind("tools[", 0) == 0 && fn != std::string::npos) param.erase(fn, 9);
  return param;
}

}  // namespace

namespace {
responses_request parse(std::string_view body);
}  // namespace

// The Responses API answers every malformed request with 400.
responses_request parse_responses_request(std::string_view body) {
  try {
    return parse(body);
  } catch (api_error& e) {
    if (e.status == 422) e.status = 400;
    throw;
  }
}

namespace {

responses_request parse(std::string_view body) {
  rapidjson::Document doc;
  parse_json_object(body, doc);
  responses_request out;
  out.spec = std::make_shared<response_spec>();
  auto& spec = *out.spec;
  auto hex = new_id("");
  spec.id = "resp_" + hex;
  spec.message_item_id = "msg_" + hex;
  spec.created_at = now_ms() / 1000;
  // The chat request this turn is, built as JSON so the chat parser validates it.
  json_out chat;
  auto& w = chat.w;
  w.StartObject();
  w.Key("messages");
  w.StartArray();
  w.StartObject();
  w.Key("role");
  w.String("user");
  w.Key("content");
  w.String("(input)");
  w.EndObject();
  w.EndArray();
  bool have_input = false;
  std::string user_id;
  // An empty tools array (the Agents SDK sends one for agents without tools)
  // is refused by OpenAI's chat API, and tool settings without tools too.
  auto tools_it = doc.FindMember("tools");
  bool has_tools = tools_it != doc.MemberEnd() && tools_it->value.IsArray() && !tools_it->value.Empty();
  bool wants_logprobs = false;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    auto key = key_of(it);
    auto& v = it->value;
    if (key == "input") {
      out.input = read_input(v);
      have_input = true;
      continue;
    }
    if (v.IsNull()) continue;
    if (key == "model") {
      spec.model = get_string(v, "model");
      w.Key("model");
      v.Accept(w);
    } else if (key == "instructions") {
      out.instructions = spec.instructions = get_string(v, "instructions");
    } else if (key == "tools") {
      spec.tools_json = to_json_text(v);
      if (!has_tools) {
        get_array(v, "tools");
        continue;
      }
      w.Key("tools");
      write_chat_tools(w, v);
    } else if (key == "tool_choice") {
      spec.tool_choice_json = to_json_text(v);
      json_out choice;
      write_chat_tool_choice(choice.w, v);  // checked even when it does not go upstream
      if (!has_tools) continue;
      w.Key("tool_choice");
      write_raw(w, choice.str());
    } else if (key == "text") {
      spec.text_json = to_json_text(v);
      json_out f;
      if (write_response_format(f.w, v)) {
        w.Key("response_format");
        write_raw(w, std::string_view(f.buf.GetString(), f.buf.GetSize()));
      }
      if (auto* verbosity = member(v, "verbosity")) {
        w.Key("verbosity");
        verbosity->Accept(w);
      }
    } else if (key == "max_output_tokens") {
      spec.max_output_tokens = get_int(v, "max_output_tokens");
      w.Key("max_completion_tokens");
      v.Accept(w);
    } else if (key == "temperature" || key == "top_p") {
      (key == "temperature" ? spec.temperature : spec.top_p) = get_number(v, std::string(key));
      write_string_key(w, key);
      v.Accept(w);
    } else if (key == "parallel_tool_calls") {
      spec.parallel_tool_calls = get_bool(v, "parallel_tool_calls");
      if (!has_tools) continue;
      w.Key("parallel_tool_calls");
      v.Accept(w);
    } else if (key == "stream") {
      w.Key("stream");
      v.Accept(w);
    } else if (key == "store") {
      spec.store = get_bool(v, "store");
    } else if (key == "previous_response_id") {
      spec.previous_response_id = get_string(v, "previous_response_id");
    } else if (key == "conversation") {
      auto* id = v.IsObject() ? member(v, "id") : &v;
      if (!id) throw unprocessable("'conversation.id' is required", "conversation.id");
      spec.conversation_id = get_string(*id, v.IsObject() ? "conversation.id" : "conversation");
      if (!valid_id(spec.conversation_id))
        throw bad_request("'conversation' is not a valid conversation id", "conversation");
    } else if (key == "metadata") {
      spec.metadata_json = to_json_text(get_object(v, "metadata"));
      if (auto* u = member(v, "user_id")) user_id = get_string(*u, "metadata.user_id");
    } else if (key == "reasoning") {
      spec.reasoning_json = to_json_text(get_object(v, "reasoning"));
      if (auto* effort = member(v, "effort")) {
        w.Key("reasoning_effort");
        effort->Accept(w);
      }
    } else if (key == "include") {
      for (auto& inc : get_string_array(v, "include"))
        spec.output_logprobs = spec.output_logprobs || inc == "message.output_text.logprobs";
      if (spec.output_logprobs && !wants_logprobs) {
        w.Key("logprobs");
        w.Bool(true);
        wants_logprobs = true;
      }
    } else if (key == "truncation") {
      spec.truncation = get_string(v, "truncation");
      if (spec.truncation != "auto" && spec.truncation != "disabled")
        throw bad_request("'truncation' must be auto or disabled", "truncation");
    } else if (key == "user" || key == "safety_identifier") {
      (key == "user" ? spec.user : spec.safety_identifier) = get_string(v, std::string(key));
      write_string_key(w, key);
      v.Accept(w);
    } else if (key == "background") {
      if (get_bool(v, "background"))
        throw bad_request("background responses are not supported", "background");
    } else if (key == "top_logprobs") {
      get_int(v, "top_logprobs");  // chat takes it only with logprobs on
      if (!wants_logprobs) {
        w.Key("logprobs");
        w.Bool(true);
        wants_logprobs = true;
      }
      w.Key("top_logprobs");
      v.Accept(w);
    } else if (key == "stream_options" || key == "prompt" || key == "max_tool_calls") {
      continue;  // Responses-only settings with no chat counterpart
    } else {
      write_string_key(w, key);  // for the upstream to judge, as in chat
      v.Accept(w);
    }
  }
  if (!user_id.empty()) {
    w.Key("metadata");
    w.StartObject();
    w.Key("user_id");
    write_string(w, user_id);
    w.EndObject();
  }
  w.EndObject();
  if (!have_input) throw bad_request("'input' is required", "input");
  if (!spec.previous_response_id.empty() && !spec.conversation_id.empty())
    throw bad_request("'previous_response_id' and 'conversation' cannot be used together",
                      "conversation");
  if (out.input.empty()) throw bad_request("'input' must not be empty", "input");
  try {
    out.chat = parse_completion_request(chat.str());
  } catch (api_error& e) {
    e.param = responses_param(e.param);
    throw;
  }
  out.chat.store = spec.store;
  out.chat.include_usage = true;  // the response always reports usage
  if (!spec.conversation_id.empty()) {
    out.chat.session_id = spec.conversation_id;
    out.chat.session_id_generated = false;
  }
  return out;
}

}  // namespace

void set_input(responses_request& r, message_list input) {
  message_list all;
  all.reserve(input.size() + 1);
  if (!r.instructions.empty()) all.emplace_back(role::system, r.instructions);
  for (auto& m : input) all.push_back(std::move(m));
  r.chat.messages = std::move(all);
  r.chat.response = r.spec;
}

}  // namespace troupe::domain
