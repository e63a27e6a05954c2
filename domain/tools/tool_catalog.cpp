#include "domain/tools/tool_catalog.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

#include "domain/core/json.hpp"

namespace troupe::domain {

namespace {

std::string sanitize(std::string_view name) {
  std::string out;
  for (unsigned char c : name) out += std::isalnum(c) || c == '_' || c == '-' ? static_cast<char>(c) : '_';
  if (out.empty()) out = "tool";
  if (out.size() > 64) out.resize(64);
  return out;
}

}  // namespace

std::vector<tool_definition> unique_tool_names(std::vector<tool_definition> tools,
                                               const std::vector<std::string>& taken) {
  std::map<std::string, int> count;
  for (auto& t : tools) ++count[sanitize(t.original)];
  for (auto& name : taken) count[name] += 2;  // a client tool always keeps its name
  std::map<std::string, int> used;
  for (auto& t : tools) {
    auto plain = sanitize(t.original);
    t.name = count[plain] > 1 ? sanitize(t.toolset + "_" + t.original) : plain;
    // Still a clash (cut names, odd toolset names): number it.
    auto base = t.name;
    for (int n = 2; used[t.name]++ > 0 || (std::find(taken.begin(), taken.end(), t.name) != taken.end()); ++n) {
      auto suffix = "_" + std::to_string(n);
      t.name = base.substr(0, 64 - suffix.size()) + suffix;
    }
  }
  return tools;
}

std::string openai_tool_elements(const std::vector<tool_definition>& tools) {
  std::string out;
  for (auto& t : tools) {
    json_out one;
    auto& w = one.w;
    w.StartObject();
    w.Key("type");
    w.String("function");
    w.Key("function");
    w.StartObject();
    w.Key("name");
    write_string(w, t.name);
    if (!t.description.empty()) {
      w.Key("description");
      write_string(w, t.description);
    }
    w.Key("parameters");
    write_raw(w, t.parameters_json);
    w.EndObject();
    w.EndObject();
    if (!out.empty()) out += ',';
    out += one.str();
  }
  return out;
}

std::vector<tool_definition> builtin_tools(const toolset_config& toolset) {
  std::vector<tool_definition> out;
  for (auto& name : toolset.tools) {
    tool_definition t;
    t.name = t.original = name;
    t.toolset = toolset.name;
    if (name == "current_time") {
      t.description = "The current date and time in a time zone.";
      t.parameters_json =
          R"J({"type":"object","properties":{"timezone":{"type":"string","description":)J"
          R"J("IANA time zone name, e.g. Europe/Paris or UTC (default UTC)","examples":["Europe/Paris"]}},)J"
          R"J("additionalProperties":false})J";
    } else if (name == "calculator") {
      t.description =
          "Evaluates an arithmetic expression: + - * / % ^, parentheses, pi, e, sqrt, abs, "
          "sin, cos, tan, asin, acos, atan, exp, ln, log10, log2, floor, ceil, round.";
      t.parameters_json =
          R"J({"type":"object","properties":{"expression":{"type":"string","description":)J"
          R"J("e.g. (2 + 3) * sqrt(16)","examples":["(2 + 3) * sqrt(16)"]}},"required":["expression"],)J"
          R"J("additionalProperties":false})J";
    } else if (name == "fetch_url") {
      t.description = fmt::format("Fetches a web page as text (HTTP GET). Allowed URL prefixes: {}",
                                  fmt::join(toolset.fetch_allow, ", "));
      t.parameters_json =
          R"J({"type":"object","properties":{"url":{"type":"string","description":"The URL"}},)J"
          R"J("required":["url"],"additionalProperties":false})J";
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::string tool_message_content(const tool_outcome& o, std::size_t max_bytes) {
  std::string text = o.error ? "Error: " + o.text : o.text;
  if (text.size() <= max_bytes) return text;
  auto cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  auto total = text.size();
  text.resize(cut);
  text += fmt::format("\n[… cut: the tool returned {} bytes, the first {} are shown]", total, cut);
  return text;
}

}  // namespace troupe::domain
