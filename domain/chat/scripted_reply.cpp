#include "domain/chat/scripted_reply.hpp"

#include <algorithm>

#include "domain/core/ids.hpp"
#include "domain/core/json.hpp"
#include "domain/openai/completion_codec.hpp"
#include "domain/openai/schema_example.hpp"

namespace troupe::domain {

namespace {

// The tools the request offers and those the agent adds.
std::vector<const tool_spec*> offered_tools(const prompt& p) {
  std::vector<const tool_spec*> out;
  for (auto& t : p.request->tools) out.push_back(&t);
  for (auto& t : p.server_tools) out.push_back(&t);
  return out;
}

const tool_spec* offered(const prompt& p, std::string_view name) {
  for (auto* t : offered_tools(p))
    if (t->name == name) return t;
  return nullptr;
}

tool_choice_mode choice_of(const prompt& p) {
  if (p.tool_choice_override == "\"none\"") return tool_choice_mode::none;
  return p.request->tool_choice;
}

std::string arguments_for(const tool_call& scripted, const tool_spec& tool) {
  if (!scripted.arguments.empty()) return scripted.arguments;
  auto args = tool.parameters_json.empty() ? "null" : example_for_schema(tool.parameters_json);
  return args == "null" ? "{}" : args;  // arguments are an object
}

// The calls to make, or none when the answer is text.
std::vector<tool_call> plan_calls(const provider_config& cfg, const prompt& p) {
  auto& req = *p.request;
  auto tools = offered_tools(p);
  auto choice = choice_of(p);
  std::vector<tool_call> out;
  if (tools.empty() || choice == tool_choice_mode::none) return out;
  if (p.last().role == role::tool) return out;  // results are back: answer them
  bool must = choice == tool_choice_mode::required || choice == tool_choice_mode::named;
  if (cfg.tool_calls.empty() && !must) return out;
  for (auto& s : cfg.tool_calls) {
    auto name = s.name == "*" ? tools.front()->name : s.name;
    if (choice == tool_choice_mode::named && name != req.tool_choice_name) continue;
    if (auto* tool = offered(p, name)) out.push_back({"", tool->name, arguments_for(s, *tool)});
  }
  if (out.empty() && must) {  // the model has to call one: the named tool, else the first
    auto* tool = choice == tool_choice_mode::named ? offered(p, req.tool_choice_name) : tools.front();
    if (tool) out.push_back({"", tool->name, arguments_for({}, *tool)});
  }
  for (auto& c : out) c.id = new_id("call_");
  return out;
}

// The results of the tool calls that ended the conversation, joined.
std::string trailing_results(const prompt& p) {
  std::vector<const chat_message*> all;
  p.for_each([&](const chat_message& m) { all.push_back(&m); });
  auto first = all.size();
  while (first > 0 && all[first - 1]->role == role::tool) --first;
  std::string out;
  for (auto i = first; i < all.size(); ++i) {
    if (!out.empty()) out += " | ";
    out += all[i]->content;
  }
  return out;
}

std::string reply_text(const provider_config& cfg, const prompt& p) {
  auto& req = *p.request;
  if (req.format != reply_format::text) {
    if (!cfg.json_reply.empty()) return cfg.json_reply;
    if (req.format == reply_format::json_schema && !req.schema_json.empty())
      return example_for_schema(req.schema_json);
    json_out out;
    out.w.StartObject();
    out.w.Key("reply");
    write_string(out.w, cfg.reply);
    out.w.EndObject();
    return out.str();
  }
  bool tool_mode = !cfg.tool_calls.empty() || !req.tools.empty() || !p.server_tools.empty();
  if (tool_mode && p.last().role == role::tool) {
    auto text = cfg.tool_result_reply;
    auto at = text.find("{results}");
    if (at != std::string::npos) text.replace(at, 9, trailing_results(p));
    return text;
  }
  return cfg.reply;
}

// A call's stream: the head (id, name), then the arguments in three pieces.
void stream_call(std::vector<scripted_step>& steps, int index, std::size_t slot,
                 const tool_call& c) {
  steps.push_back({index, "", tool_call_delta(slot, &c, "")});
  auto piece = std::max<std::size_t>(1, (c.arguments.size() + 2) / 3);
  for (std::size_t at = 0; at < c.arguments.size(); at += piece)
    steps.push_back({index, "", tool_call_delta(slot, nullptr, std::string_view(c.arguments).substr(at, piece))});
}

}  // namespace

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    auto end = text.find(' ', i);
    end = end == std::string_view::npos ? text.size() : end + 1;
    out.emplace_back(text.substr(i, end - i));
    i = end;
  }
  return out;
}

scripted_reply plan_scripted_reply(const provider_config& cfg, const prompt& p,
                                   const sampling_params& params) {
  scripted_reply out;
  auto& r = out.result;
  auto calls = plan_calls(cfg, p);
  chat_message message{role::assistant, ""};
  std::string finish = "stop";
  std::vector<std::string> tokens;
  if (!calls.empty()) {
    message.kind = content_kind::null;
    message_extra x;
    x.tool_calls = calls;
    message.extra = std::make_shared<const message_extra>(std::move(x));
    finish = "tool_calls";
  } else {
    std::string text = reply_text(cfg, p);
    for (auto& stop : params.stop) {
      auto at = stop.empty() ? std::string::npos : text.find(stop);
      if (at != std::string::npos) text.resize(at);
    }
    tokens = split_words(text);
    auto max_tokens = params.max_tokens ? params.max_tokens : cfg.max_tokens;
    if (max_tokens && static_cast<std::int64_t>(tokens.size()) > *max_tokens) {
      tokens.resize(static_cast<std::size_t>(*max_tokens));
      finish = "length";
    }
    for (auto& t : tokens) message.content += t;
  }
  message.words = words_of_text(message.content);
  int n = std::max(1, p.request->n);
  r.choices.clear();
  for (int i = 0; i < n; ++i) {
    r.choices.push_back({i, message, finish, {}});
    for (auto& t : tokens) out.steps.push_back({i, t, {}});
    for (std::size_t slot = 0; slot < calls.size(); ++slot) stream_call(out.steps, i, slot, calls[slot]);
  }
  std::int64_t prompt_words = 0;
  p.for_each([&](const chat_message& m) { prompt_words += words_of(m); });
  r.tokens.prompt_tokens = prompt_words;
  std::int64_t generated = static_cast<std::int64_t>(tokens.size());
  for (auto& c : calls) generated += 1 + count_words(c.arguments);
  r.tokens.completion_tokens = generated * n;
  return out;
}

}  // namespace troupe::domain
