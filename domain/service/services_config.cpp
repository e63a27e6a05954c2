#include "domain/service/services_config.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "domain/core/json.hpp"

namespace troupe::domain {

const provider_config* services_config::find(std::string_view name) const {
  auto it = providers.find(std::string(name));
  return it == providers.end() ? nullptr : &it->second;
}

const toolset_config* services_config::find_toolset(std::string_view name) const {
  auto it = toolsets.find(std::string(name));
  return it == toolsets.end() ? nullptr : &it->second;
}

const provider_config* services_config::resolve(std::string_view llm_config_id) const {
  return find(llm_config_id.empty() ? std::string_view(default_provider) : llm_config_id);
}

std::string expand_env(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    auto start = text.find("${", i);
    auto end = start == std::string_view::npos ? start : text.find('}', start);
    if (end == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, start - i));
    auto expr = text.substr(start + 2, end - start - 2);
    auto sep = expr.find(":-");
    std::string name(expr.substr(0, sep));
    const char* value = std::getenv(name.c_str());
    if (value && *value)
      out.append(value);
    else if (sep != std::string_view::npos)
      out.append(expr.substr(sep + 2));
    i = end + 1;
  }
  return out;
}

namespace {

[[noreturn]] void fail(const std::string& why) { throw std::runtime_error(why); }

std::string str(const json_value& v, const std::string& where) {
  if (!v.IsString()) fail(fmt::format("services: '{}' must be a string", where));
  return expand_env({v.GetString(), v.GetStringLength()});
}

double num(const json_value& v, const std::string& where) {
  // A number, or a string (after ${VAR} expansion) that holds one.
  if (v.IsNumber()) return v.GetDouble();
  auto s = str(v, where);
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0') fail(fmt::format("services: '{}' must be a number", where));
  return d;
}

std::vector<tool_call> read_tool_calls(const json_value& v, const std::string& where) {
  if (!v.IsArray()) fail(fmt::format("services: '{}' must be an array", where));
  std::vector<tool_call> out;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    auto at = fmt::format("{}[{}]", where, i);
    auto& c = v[i];
    if (!c.IsObject() || !c.HasMember("name"))
      fail(fmt::format("services: '{}' must be an object with a 'name'", at));
    tool_call call;
    call.name = str(c["name"], at + ".name");
    if (auto a = c.FindMember("arguments"); a != c.MemberEnd())
      call.arguments = a->value.IsString() ? str(a->value, at + ".arguments") : to_json_text(a->value);
    out.push_back(std::move(call));
  }
  return out;
}

provider_config read_provider(const std::string& name, const json_value& v) {
  if (!v.IsObject()) fail(fmt::format("services: provider '{}' must be an object", name));
  provider_config p;
  p.name = name;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string key(key_of(it));
    auto where = fmt::format("llm.providers.{}.{}", name, key);
    auto& x = it->value;
    if (key == "type") p.type = str(x, where);
    else if (key == "model") p.model = str(x, where);
    else if (key == "base_url") p.base_url = str(x, where);
    else if (key == "api_key") p.api_key = str(x, where);
    else if (key == "temperature") p.temperature = num(x, where);
    else if (key == "max_tokens") p.max_tokens = static_cast<std::int64_t>(num(x, where));
    else if (key == "timeout_s") p.timeout_s = num(x, where);
    else if (key == "fallback") p.fallback = str(x, where);
    else if (key == "retries") p.retry.retries = static_cast<int>(num(x, where));
    else if (key == "retry_base_ms") p.retry.base_ms = static_cast<std::int64_t>(num(x, where));
    else if (key == "reply") p.reply = str(x, where);
    else if (key == "first_token_ms") p.first_token_ms = static_cast<std::int64_t>(num(x, where));
    else if (key == "token_interval_ms") p.token_interval_ms = static_cast<std::int64_t>(num(x, where));
    else if (key == "tool_calls") p.tool_calls = read_tool_calls(x, where);
    else if (key == "tool_result_reply") p.tool_result_reply = str(x, where);
    else if (key == "json_reply") p.json_reply = to_json_text(x);
    else fail(fmt::format("services: unknown key '{}'", where));
  }
  if (p.type.empty()) fail(fmt::format("services: provider '{}' needs a 'type'", name));
  if (p.timeout_s <= 0) fail(fmt::format("services: provider '{}': timeout_s must be > 0", name));
  if (p.retry.retries < 0 || p.retry.retries > 10)
    fail(fmt::format("services: provider '{}': retries must be 0-10", name));
  if (p.retry.base_ms < 0 || p.retry.base_ms > 60000)
    fail(fmt::format("services: provider '{}': retry_base_ms must be 0-60000", name));
  if (p.type == "openai") {
    if (p.model.empty()) fail(fmt::format("services: provider '{}' needs a 'model'", name));
    if (p.base_url.empty()) p.base_url = "https://api.openai.com/v1";
    while (!p.base_url.empty() && p.base_url.back() == '/') p.base_url.pop_back();
  }
  return p;
}

std::vector<std::pair<std::string, std::string>> string_map(const json_value& v,
                                                           const std::string& where) {
  if (!v.IsObject()) fail(fmt::format("services: '{}' must be an object", where));
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it)
    out.emplace_back(std::string(key_of(it)), str(it->value, where + "." + std::string(key_of(it))));
  return out;
}

std::vector<std::string> strings(const json_value& v, const std::string& where) {
  if (!v.IsArray()) fail(fmt::format("services: '{}' must be an array of strings", where));
  std::vector<std::string> out;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
    out.push_back(str(v[i], fmt::format("{}[{}]", where, i)));
  return out;
}

toolset_config read_toolset(const std::string& name, const json_value& v) {
  if (!v.IsObject()) fail(fmt::format("services: toolset '{}' must be an object", name));
  toolset_config t;
  t.name = name;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string key(key_of(it));
    auto where = fmt::format("toolsets.{}.{}", name, key);
    auto& x = it->value;
    if (key == "type") t.type = str(x, where);
    else if (key == "transport") t.transport = str(x, where);
    else if (key == "command") t.command = str(x, where);
    else if (key == "args") t.args = strings(x, where);
    else if (key == "env") t.env = string_map(x, where);
    else if (key == "cwd") t.cwd = str(x, where);
    else if (key == "url") t.url = str(x, where);
    else if (key == "headers") t.headers = string_map(x, where);
    else if (key == "timeout_s") t.timeout_s = num(x, where);
    else if (key == "tools") t.tools = strings(x, where);
    else if (key == "fetch_allow") t.fetch_allow = strings(x, where);
    else fail(fmt::format("services: unknown key '{}'", where));
  }
  auto bad = [&](const std::string& why) { fail(fmt::format("services: toolset '{}': {}", name, why)); };
  if (t.timeout_s <= 0 || t.timeout_s > 3600) bad("timeout_s must be > 0 and at most 3600");
  if (t.type == "mcp") {
    if (t.transport.empty()) t.transport = t.url.empty() ? "stdio" : "http";
    if (t.transport == "stdio" && t.command.empty()) bad("a stdio MCP server needs a 'command'");
    else if (t.transport == "http" && t.url.rfind("http", 0) != 0) bad("an http MCP server needs an http(s) 'url'");
    else if (t.transport != "stdio" && t.transport != "http") bad("transport must be stdio or http");
  } else if (t.type == "builtin") {
    if (t.tools.empty()) bad("a builtin toolset lists its 'tools'");
    for (auto& tool : t.tools) {
      if (tool != "current_time" && tool != "calculator" && tool != "fetch_url")
        bad("unknown builtin tool '" + tool + "' (current_time, calculator, fetch_url)");
      if (tool == "fetch_url" && t.fetch_allow.empty())
        bad("fetch_url needs 'fetch_allow': the URL prefixes it may fetch");
    }
  } else {
    bad("type must be mcp or builtin");
  }
  return t;
}

// A fallback chain must end: a -> b -> a would pass a failing turn around forever.
void check_fallback_chains(const services_config& cfg) {
  for (auto& [name, p] : cfg.providers) {
    std::string at = p.fallback;
    for (std::size_t hops = 0; !at.empty(); ++hops) {
      if (at == name || hops > cfg.providers.size())
        fail(fmt::format("services: the fallbacks of provider '{}' form a cycle", name));
      at = cfg.find(at)->fallback;
    }
  }
}

}  // namespace

services_config parse_services(std::string_view json_text) {
  rapidjson::Document doc;
  try {
    parse_json(json_text, doc);
  } catch (const api_error& e) {
    fail("services: " + e.message);
  }
  if (!doc.IsObject()) fail("services: the file must hold a JSON object");
  services_config cfg;
  auto llm = doc.FindMember("llm");
  if (llm == doc.MemberEnd() || !llm->value.IsObject()) fail("services: 'llm' object is missing");
  auto providers = llm->value.FindMember("providers");
  if (providers == llm->value.MemberEnd() || !providers->value.IsObject())
    fail("services: 'llm.providers' object is missing");
  for (auto it = providers->value.MemberBegin(); it != providers->value.MemberEnd(); ++it) {
    std::string name(key_of(it));
    cfg.providers.emplace(name, read_provider(name, it->value));
  }
  auto def = llm->value.FindMember("default_provider");
  if (def != llm->value.MemberEnd()) cfg.default_provider = str(def->value, "llm.default_provider");
  if (cfg.default_provider.empty() && cfg.providers.size() == 1)
    cfg.default_provider = cfg.providers.begin()->first;
  if (!cfg.default_provider.empty() && !cfg.find(cfg.default_provider))
    fail(fmt::format("services: default_provider '{}' is not a provider", cfg.default_provider));
  for (auto& [name, p] : cfg.providers)
    if (!p.fallback.empty() && !cfg.find(p.fallback))
      fail(fmt::format("services: provider '{}' falls back to unknown provider '{}'", name,
                       p.fallback));
  check_fallback_chains(cfg);
  auto toolsets = doc.FindMember("toolsets");
  if (toolsets != doc.MemberEnd()) {
    if (!toolsets->value.IsObject()) fail("services: 'toolsets' must be an object");
    for (auto it = toolsets->value.MemberBegin(); it != toolsets->value.MemberEnd(); ++it) {
      std::string name(key_of(it));
      cfg.toolsets.emplace(name, read_toolset(name, it->value));
    }
  }
  return cfg;
}

services_config load_services(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(fmt::format("cannot read services file '{}'", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_services(ss.str());
}

}  // namespace troupe::domain
