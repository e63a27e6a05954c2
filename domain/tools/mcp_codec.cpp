#include "domain/tools/mcp_codec.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "domain/core/json.hpp"

namespace troupe::domain {

namespace {

constexpr std::array<std::string_view, 5> versions = {"2026-07-28", "2025-11-25", "2025-06-18",
                                                      "2025-03-26", "2024-11-05"};

const json_value* member(const json_value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

std::string str_of(const json_value* v) {
  return v && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}

bool parse(std::string_view text, rapidjson::Document& doc) {
  try {
    parse_json(text, doc);
    return true;
  } catch (const api_error&) {
    return false;
  }
}

void write_client_info(json_writer_t& w) {
  w.Key("name");
  w.String("troupe");
  w.Key("version");
  w.String(TROUPE_VERSION);
}

}  // namespace

bool mcp_version_supported(std::string_view v) {
  return std::find(versions.begin(), versions.end(), v) != versions.end();
}

bool mcp_version_stateless(std::string_view v) { return v == mcp_stateless; }

std::string mcp_request(std::int64_t id, std::string_view method, std::string_view params_json,
                        std::string_view version) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("jsonrpc");
  w.String("2.0");
  w.Key("id");
  w.Int64(id);
  w.Key("method");
  write_string(w, method);
  w.Key("params");
  if (mcp_version_stateless(version)) {
    // Stateless: every request says which revision and capabilities it speaks.
    rapidjson::Document params;
    parse(params_json, params);
    w.StartObject();
    if (params.IsObject())
      for (auto it = params.MemberBegin(); it != params.MemberEnd(); ++it) {
        if (key_of(it) == "_meta") continue;
        write_string_key(w, key_of(it));
        it->value.Accept(w);
      }
    w.Key("_meta");
    w.StartObject();
    w.Key("io.modelcontextprotocol/protocolVersion");
    write_string(w, version);
    w.Key("io.modelcontextprotocol/clientCapabilities");
    w.StartObject();
    w.EndObject();
    w.Key("io.modelcontextprotocol/clientInfo");
    w.StartObject();
    write_client_info(w);
    w.EndObject();
    w.EndObject();
    w.EndObject();
  } else {
    write_raw(w, params_json);
  }
  w.EndObject();
  return out.str();
}

std::string mcp_notification(std::string_view method, std::string_view params_json) {
  return fmt::format(R"({{"jsonrpc":"2.0","method":"{}","params":{}}})", method, params_json);
}

std::string mcp_response(std::string_view id_json, std::string_view result_json) {
  return fmt::format(R"({{"jsonrpc":"2.0","id":{},"result":{}}})", id_json, result_json);
}

std::string mcp_error_response(std::string_view id_json, int code, std::string_view message) {
  json_out m;
  write_string(m.w, message);
  return fmt::format(R"({{"jsonrpc":"2.0","id":{},"error":{{"code":{},"message":{}}}}})", id_json,
                     code, m.str());
}

mcp_message parse_mcp_message(std::string_view text) {
  mcp_message m;
  rapidjson::Document doc;
  if (!parse(text, doc) || !doc.IsObject()) return m;
  auto* method = member(doc, "method");
  auto id = doc.FindMember("id");
  bool has_id = id != doc.MemberEnd() && !id->value.IsNull();
  if (method && method->IsString()) {
    m.method = str_of(method);
    if (auto* p = member(doc, "params")) m.params_json = to_json_text(*p);
    m.k = has_id ? mcp_message::kind::request : mcp_message::kind::notification;
    if (has_id) m.id_json = to_json_text(id->value);
    return m;
  }
  if (!has_id) return m;
  if (id->value.IsInt64()) m.id = id->value.GetInt64();
  m.k = mcp_message::kind::response;
  if (auto* e = member(doc, "error")) {
    m.is_error = true;
    if (auto* c = member(*e, "code"); c && c->IsInt()) m.error_code = c->GetInt();
    m.error_message = str_of(member(*e, "message"));
    if (m.error_message.empty()) m.error_message = to_json_text(*e);
  } else if (auto* r = member(doc, "result")) {
    m.result_json = to_json_text(*r);
  } else {
    m.k = mcp_message::kind::invalid;
  }
  return m;
}

std::string mcp_initialize_params(std::string_view version) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("protocolVersion");
  write_string(w, version);
  w.Key("capabilities");
  w.StartObject();
  w.EndObject();
  w.Key("clientInfo");
  w.StartObject();
  write_client_info(w);
  w.EndObject();
  w.EndObject();
  return out.str();
}

mcp_server_info read_initialize_result(std::string_view result_json) {
  mcp_server_info info;
  rapidjson::Document doc;
  if (!parse(result_json, doc) || !doc.IsObject()) {
    info.error = "initialize: the result is not an object";
    return info;
  }
  info.version = str_of(member(doc, "protocolVersion"));
  if (!mcp_version_supported(info.version) || mcp_version_stateless(info.version))
    info.error = fmt::format("the server speaks MCP revision '{}', which Troupe does not",
                             info.version);
  if (auto* caps = member(doc, "capabilities"))
    if (auto* tools = member(*caps, "tools"))
      info.tools_list_changed = member(*tools, "listChanged") && member(*tools, "listChanged")->IsTrue();
  if (auto* si = member(doc, "serverInfo")) info.name = str_of(member(*si, "name"));
  return info;
}

mcp_server_info read_discover_result(std::string_view result_json) {
  mcp_server_info info;
  rapidjson::Document doc;
  if (!parse(result_json, doc) || !doc.IsObject()) {
    info.error = "server/discover: the result is not an object";
    return info;
  }
  if (auto* supported = member(doc, "supportedVersions"); supported && supported->IsArray())
    for (auto v : versions)
      for (auto& s : supported->GetArray())
        if (info.version.empty() && s.IsString() && s.GetString() == v) info.version = std::string(v);
  if (info.version.empty()) info.error = "server/discover: no MCP revision in common";
  if (auto* caps = member(doc, "capabilities"))
    if (auto* tools = member(*caps, "tools"))
      info.tools_list_changed = member(*tools, "listChanged") && member(*tools, "listChanged")->IsTrue();
  if (auto* si = member(doc, "serverInfo")) info.name = str_of(member(*si, "name"));
  return info;
}

std::string mcp_tools_list_params(std::string_view cursor) {
  if (cursor.empty()) return "{}";
  json_out out;
  out.w.StartObject();
  out.w.Key("cursor");
  write_string(out.w, cursor);
  out.w.EndObject();
  return out.str();
}

mcp_tools_page read_tools_list(std::string_view result_json, std::string_view toolset) {
  mcp_tools_page page;
  rapidjson::Document doc;
  auto* tools = parse(result_json, doc) ? member(doc, "tools") : nullptr;
  if (!tools || !tools->IsArray()) {
    page.error = "tools/list: no 'tools' array";
    return page;
  }
  for (auto& t : tools->GetArray()) {
    auto name = str_of(member(t, "name"));
    if (name.empty()) continue;
    tool_definition d;
    d.original = name;
    d.toolset = std::string(toolset);
    d.description = str_of(member(t, "description"));
    if (d.description.empty()) d.description = str_of(member(t, "title"));
    if (auto* schema = member(t, "inputSchema"); schema && schema->IsObject())
      d.parameters_json = to_json_text(*schema);
    page.tools.push_back(std::move(d));
  }
  page.next_cursor = str_of(member(doc, "nextCursor"));
  return page;
}

std::optional<std::string> mcp_call_params(std::string_view tool, std::string_view arguments,
                                           std::string& error) {
  rapidjson::Document args;
  if (arguments.find_first_not_of(" \t\r\n") == std::string_view::npos) arguments = "{}";
  if (!parse(arguments, args) || !args.IsObject()) {
    error = "the arguments are not a JSON object: " + std::string(arguments.substr(0, 200));
    return std::nullopt;
  }
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("name");
  write_string(w, tool);
  w.Key("arguments");
  args.Accept(w);
  w.EndObject();
  return out.str();
}

tool_outcome read_tool_result(std::string_view result_json) {
  tool_outcome out;
  rapidjson::Document doc;
  if (!parse(result_json, doc) || !doc.IsObject()) {
    out.error = true;
    out.text = "the tool's result is not a JSON object";
    return out;
  }
  out.error = member(doc, "isError") && member(doc, "isError")->IsTrue();
  auto add = [&](const std::string& piece) {
    if (!out.text.empty()) out.text += '\n';
    out.text += piece;
  };
  if (auto* content = member(doc, "content"); content && content->IsArray()) {
    for (auto& c : content->GetArray()) {
      auto type = str_of(member(c, "type"));
      if (type == "text") {
        add(str_of(member(c, "text")));
      } else if (type == "image" || type == "audio") {
        auto data = str_of(member(c, "data"));
        add(fmt::format("[{} {}, {} bytes base64]", type, str_of(member(c, "mimeType")), data.size()));
      } else if (type == "resource") {
        auto* r = member(c, "resource");
        auto text = r ? str_of(member(*r, "text")) : std::string();
        add(fmt::format("[resource {}]{}", r ? str_of(member(*r, "uri")) : "",
                        text.empty() ? "" : "\n" + text));
      } else if (type == "resource_link") {
        add(fmt::format("[resource link {} {}]", str_of(member(c, "name")), str_of(member(c, "uri"))));
      } else {
        add(fmt::format("[{} content]", type.empty() ? "unknown" : type));
      }
    }
  }
  if (out.text.empty())
    if (auto* structured = member(doc, "structuredContent")) out.text = to_json_text(*structured);
  return out;
}

std::string mcp_cancelled_params(std::int64_t request_id, std::string_view reason) {
  json_out out;
  out.w.StartObject();
  out.w.Key("requestId");
  out.w.Int64(request_id);
  out.w.Key("reason");
  write_string(out.w, reason);
  out.w.EndObject();
  return out.str();
}

}  // namespace troupe::domain
