#include "domain/tools/tool_round.hpp"

namespace troupe::domain {

const tool_definition* find_tool(const std::vector<tool_definition>& catalog, std::string_view name) {
  for (auto& t : catalog)
    if (t.name == name) return &t;
  return nullptr;
}

call_split split_calls(const chat_message& answer, const std::vector<tool_definition>& catalog) {
  call_split out;
  auto& calls = answer.tool_calls();
  for (std::size_t i = 0; i < calls.size(); ++i)
    (find_tool(catalog, calls[i].name) ? out.server : out.client).push_back(i);
  return out;
}

chat_message tool_result_message(const std::string& call_id, std::string content) {
  chat_message m{role::tool, std::move(content)};
  auto x = std::make_shared<message_extra>();
  x->tool_call_id = call_id;
  m.extra = std::move(x);
  return m;
}

chat_message with_calls_only(const chat_message& answer, const std::vector<std::size_t>& keep) {
  auto out = answer;
  auto x = answer.extra ? *answer.extra : message_extra{};
  std::vector<tool_call> kept;
  for (auto i : keep)
    if (i < x.tool_calls.size()) kept.push_back(x.tool_calls[i]);
  x.tool_calls = std::move(kept);
  out.extra = x.empty() ? nullptr : std::make_shared<const message_extra>(std::move(x));
  return out;
}

std::vector<tool_spec> tool_specs(const std::vector<tool_definition>& catalog) {
  std::vector<tool_spec> out;
  out.reserve(catalog.size());
  for (auto& t : catalog) out.push_back({t.name, t.parameters_json});
  return out;
}

}  // namespace troupe::domain
