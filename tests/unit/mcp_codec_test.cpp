#define BOOST_TEST_MODULE mcp_codec
#include <boost/test/unit_test.hpp>

#include <string>

#include "domain/tools/mcp_codec.hpp"
#include "json_support.hpp"

using namespace troupe::domain;
using troupe::testing::parse_json;

namespace {

std::string str(const rapidjson::Value& v) {
  BOOST_REQUIRE(v.IsString());
  return std::string(v.GetString(), v.GetStringLength());
}

// Compact JSON `a` and `b` say the same thing.
bool same_json(const std::string& a, const std::string& b) { return parse_json(a) == parse_json(b); }

}  // namespace

// --- What Troupe sends ---

BOOST_AUTO_TEST_CASE(request_shape) {
  auto d = parse_json(mcp_request(7, "tools/list", R"({"cursor":"abc"})"));
  BOOST_REQUIRE(d.IsObject());
  BOOST_TEST(str(d["jsonrpc"]) == "2.0");
  BOOST_REQUIRE(d["id"].IsInt64());
  BOOST_TEST(d["id"].GetInt64() == 7);
  BOOST_TEST(str(d["method"]) == "tools/list");
  BOOST_REQUIRE(d["params"].IsObject());
  BOOST_TEST(str(d["params"]["cursor"]) == "abc");
  BOOST_TEST(d.MemberCount() == 4u);
  // A stateful revision adds nothing to the params.
  auto s = parse_json(mcp_request(8, "tools/call", R"({"name":"x"})", mcp_latest_stateful));
  BOOST_TEST(!s["params"].HasMember("_meta"));
  BOOST_TEST(s["id"].GetInt64() == 8);
}

BOOST_AUTO_TEST_CASE(request_ids_and_escaping) {
  auto big = parse_json(mcp_request(9007199254740993LL, "ping", "{}"));
  BOOST_TEST(big["id"].GetInt64() == 9007199254740993LL);
  auto neg = parse_json(mcp_request(-1, "ping", "{}"));
  BOOST_TEST(neg["id"].GetInt64() == -1);
  auto odd = parse_json(mcp_request(1, "a\"b\\c\n", "{}"));
  BOOST_TEST(str(odd["method"]) == "a\"b\\c\n");
}

BOOST_AUTO_TEST_CASE(stateless_request_carries_meta) {
  auto d = parse_json(mcp_request(3, "tools/call", R"({"name":"echo","arguments":{"a":1},"_meta":{"x":1}})",
                                  mcp_stateless));
  auto& p = d["params"];
  BOOST_REQUIRE(p.IsObject());
  BOOST_TEST(str(p["name"]) == "echo");
  BOOST_TEST(p["arguments"]["a"].GetInt() == 1);
  BOOST_REQUIRE(p["_meta"].IsObject());
  auto& meta = p["_meta"];
  BOOST_TEST(str(meta["io.modelcontextprotocol/protocolVersion"]) == mcp_stateless);
  BOOST_TEST(meta["io.modelcontextprotocol/clientCapabilities"].IsObject());
  BOOST_TEST(str(meta["io.modelcontextprotocol/clientInfo"]["name"]) == "troupe");
  BOOST_TEST(meta["io.modelcontextprotocol/clientInfo"]["version"].IsString());
  BOOST_TEST(!meta.HasMember("x"));  // the caller's _meta is replaced, not merged in twice
  int metas = 0;
  for (auto it = p.MemberBegin(); it != p.MemberEnd(); ++it)
    metas += std::string(it->name.GetString()) == "_meta";
  BOOST_TEST(metas == 1);
  // Empty params still get _meta.
  auto e = parse_json(mcp_request(4, "server/discover", "{}", mcp_stateless));
  BOOST_TEST(e["params"].MemberCount() == 1u);
  BOOST_TEST(e["params"].HasMember("_meta"));
}

BOOST_AUTO_TEST_CASE(notification_shape) {
  auto d = parse_json(mcp_notification("notifications/initialized"));
  BOOST_TEST(str(d["jsonrpc"]) == "2.0");
  BOOST_TEST(str(d["method"]) == "notifications/initialized");
  BOOST_TEST(!d.HasMember("id"));  // a notification has no id
  BOOST_TEST(d["params"].IsObject());
  BOOST_TEST(d["params"].MemberCount() == 0u);
  auto c = parse_json(mcp_notification("notifications/cancelled", mcp_cancelled_params(5, "x")));
  BOOST_TEST(c["params"]["requestId"].GetInt64() == 5);
}

BOOST_AUTO_TEST_CASE(response_shapes) {
  auto ok = parse_json(mcp_response("\"abc\"", "{}"));
  BOOST_TEST(str(ok["jsonrpc"]) == "2.0");
  BOOST_TEST(str(ok["id"]) == "abc");
  BOOST_TEST(ok["result"].IsObject());
  BOOST_TEST(!ok.HasMember("error"));
  auto num = parse_json(mcp_response("12", R"({"a":[1,2]})"));
  BOOST_TEST(num["id"].GetInt() == 12);
  BOOST_TEST(num["result"]["a"].Size() == 2u);

  auto err = parse_json(mcp_error_response("12", -32601, "Method \"x\" not found\n"));
  BOOST_TEST(str(err["jsonrpc"]) == "2.0");
  BOOST_TEST(err["id"].GetInt() == 12);
  BOOST_TEST(!err.HasMember("result"));
  BOOST_TEST(err["error"]["code"].GetInt() == -32601);
  BOOST_TEST(str(err["error"]["message"]) == "Method \"x\" not found\n");
}

BOOST_AUTO_TEST_CASE(round_trip_through_the_parser) {
  // What a server would answer to a request Troupe made, read back.
  auto m = parse_mcp_message(mcp_response("42", R"({"tools":[]})"));
  BOOST_TEST((m.k == mcp_message::kind::response));
  BOOST_REQUIRE(m.id.has_value());
  BOOST_TEST(*m.id == 42);
  BOOST_TEST(same_json(m.result_json, R"({"tools":[]})"));
  BOOST_TEST(!m.is_error);
  auto e = parse_mcp_message(mcp_error_response("43", -32000, "boom"));
  BOOST_TEST((e.k == mcp_message::kind::response));
  BOOST_TEST(e.is_error);
  BOOST_TEST(e.error_code == -32000);
  BOOST_TEST(e.error_message == "boom");
  BOOST_TEST(*e.id == 43);
}

BOOST_AUTO_TEST_CASE(initialize_params_shape) {
  auto d = parse_json(mcp_initialize_params());
  BOOST_TEST(str(d["protocolVersion"]) == mcp_latest_stateful);
  BOOST_TEST(d["capabilities"].IsObject());
  BOOST_TEST(str(d["clientInfo"]["name"]) == "troupe");
  BOOST_TEST(d["clientInfo"]["version"].IsString());
  BOOST_TEST(str(parse_json(mcp_initialize_params("2024-11-05"))["protocolVersion"]) == "2024-11-05");
}

BOOST_AUTO_TEST_CASE(tools_list_params) {
  BOOST_TEST(same_json(mcp_tools_list_params(""), "{}"));
  auto d = parse_json(mcp_tools_list_params("page \"2\""));
  BOOST_TEST(str(d["cursor"]) == "page \"2\"");
  BOOST_TEST(d.MemberCount() == 1u);
}

BOOST_AUTO_TEST_CASE(cancelled_params) {
  auto d = parse_json(mcp_cancelled_params(17, "the turn was cancelled \"now\""));
  BOOST_REQUIRE(d["requestId"].IsInt64());
  BOOST_TEST(d["requestId"].GetInt64() == 17);
  BOOST_TEST(str(d["reason"]) == "the turn was cancelled \"now\"");
}

// --- What comes back ---

BOOST_AUTO_TEST_CASE(parse_result_response) {
  auto m = parse_mcp_message(R"({"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"hi"}]}})");
  BOOST_TEST((m.k == mcp_message::kind::response));
  BOOST_REQUIRE(m.id.has_value());
  BOOST_TEST(*m.id == 5);
  BOOST_TEST(!m.is_error);
  auto r = parse_json(m.result_json);
  BOOST_TEST(str(r["content"][0]["text"]) == "hi");
  BOOST_TEST(m.method.empty());
  // An empty result is still a result.
  auto empty = parse_mcp_message(R"({"jsonrpc":"2.0","id":6,"result":{}})");
  BOOST_TEST((empty.k == mcp_message::kind::response));
  BOOST_TEST(same_json(empty.result_json, "{}"));
}

BOOST_AUTO_TEST_CASE(parse_error_response) {
  auto m = parse_mcp_message(
      R"({"jsonrpc":"2.0","id":9,"error":{"code":-32602,"message":"Unknown tool: x","data":{}}})");
  BOOST_TEST((m.k == mcp_message::kind::response));
  BOOST_TEST(*m.id == 9);
  BOOST_TEST(m.is_error);
  BOOST_TEST(m.error_code == -32602);
  BOOST_TEST(m.error_message == "Unknown tool: x");
  // An error without a message still says something.
  auto bare = parse_mcp_message(R"({"jsonrpc":"2.0","id":10,"error":{"code":1}})");
  BOOST_TEST(bare.is_error);
  BOOST_TEST(bare.error_code == 1);
  BOOST_TEST(!bare.error_message.empty());
}

BOOST_AUTO_TEST_CASE(parse_response_with_a_foreign_id) {
  // A string id is no answer to one of Troupe's (numeric) requests.
  auto m = parse_mcp_message(R"({"jsonrpc":"2.0","id":"abc","result":{}})");
  BOOST_TEST(!m.id.has_value());
  // Neither result nor error: not a response.
  auto none = parse_mcp_message(R"({"jsonrpc":"2.0","id":3})");
  BOOST_TEST((none.k == mcp_message::kind::invalid));
}

BOOST_AUTO_TEST_CASE(parse_server_request) {
  auto ping = parse_mcp_message(R"({"jsonrpc":"2.0","id":"srv-1","method":"ping"})");
  BOOST_TEST((ping.k == mcp_message::kind::request));
  BOOST_TEST(ping.method == "ping");
  BOOST_TEST(ping.id_json == "\"srv-1\"");
  BOOST_TEST(!ping.id.has_value());
  // The id goes back as sent: the answer is a response to that id.
  auto answer = parse_json(mcp_response(ping.id_json, "{}"));
  BOOST_TEST(str(answer["id"]) == "srv-1");

  auto numeric = parse_mcp_message(
      R"({"jsonrpc":"2.0","id":77,"method":"sampling/createMessage","params":{"maxTokens":5}})");
  BOOST_TEST((numeric.k == mcp_message::kind::request));
  BOOST_TEST(numeric.id_json == "77");
  BOOST_TEST(numeric.method == "sampling/createMessage");
  BOOST_TEST(parse_json(numeric.params_json)["maxTokens"].GetInt() == 5);
}

BOOST_AUTO_TEST_CASE(parse_notification) {
  auto n = parse_mcp_message(R"({"jsonrpc":"2.0","method":"notifications/tools/list_changed"})");
  BOOST_TEST((n.k == mcp_message::kind::notification));
  BOOST_TEST(n.method == "notifications/tools/list_changed");
  BOOST_TEST(n.id_json.empty());
  BOOST_TEST(!n.id.has_value());
  auto p = parse_mcp_message(
      R"({"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}})");
  BOOST_TEST((p.k == mcp_message::kind::notification));
  BOOST_TEST(str(parse_json(p.params_json)["level"]) == "info");
  // A null id is no id.
  auto null_id = parse_mcp_message(R"({"jsonrpc":"2.0","id":null,"method":"notifications/x"})");
  BOOST_TEST((null_id.k == mcp_message::kind::notification));
}

BOOST_AUTO_TEST_CASE(parse_invalid_input) {
  for (std::string text :
       {"", " ", "not json", "{", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}", "[]",
        R"([{"jsonrpc":"2.0","id":1,"result":{}}])", "42", "\"text\"", "null", "true", "{}",
        R"({"jsonrpc":"2.0"})", R"({"jsonrpc":"2.0","method":5})", R"({"jsonrpc":"2.0","id":null,"result":{}})",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"\xFF\"}", "{\"a\":1}\n{\"b\":2}"}) {
    auto m = parse_mcp_message(text);
    BOOST_TEST_INFO("input: " << text);
    BOOST_TEST((m.k == mcp_message::kind::invalid));
  }
  // Deep nesting is refused, not recursed into.
  std::string deep = R"({"jsonrpc":"2.0","id":1,"result":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  BOOST_TEST((parse_mcp_message(deep).k == mcp_message::kind::invalid));
}

// --- The handshake ---

BOOST_AUTO_TEST_CASE(versions) {
  for (auto* v : {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"})
    BOOST_TEST(mcp_version_supported(v));
  for (auto* v : {"", "2024-10-07", "2025-11-26", "1.0", "2025-11-25 "})
    BOOST_TEST(!mcp_version_supported(v));
  BOOST_TEST(mcp_version_stateless("2026-07-28"));
  BOOST_TEST(!mcp_version_stateless("2025-11-25"));
  BOOST_TEST(mcp_version_supported(mcp_latest_stateful));
  BOOST_TEST(mcp_version_supported(mcp_stateless));
}

BOOST_AUTO_TEST_CASE(initialize_result_supported_versions) {
  for (auto* v : {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}) {
    auto info = read_initialize_result(std::string(R"({"protocolVersion":")") + v +
                                       R"(","capabilities":{"tools":{"listChanged":true}},)"
                                       R"("serverInfo":{"name":"everything","version":"1.0"}})");
    BOOST_TEST_INFO(v);
    BOOST_TEST(info.error.empty());
    BOOST_TEST(info.version == v);
    BOOST_TEST(info.tools_list_changed);
    BOOST_TEST(info.name == "everything");
  }
}

BOOST_AUTO_TEST_CASE(initialize_result_capabilities) {
  auto none = read_initialize_result(R"({"protocolVersion":"2025-06-18","capabilities":{}})");
  BOOST_TEST(none.error.empty());
  BOOST_TEST(!none.tools_list_changed);
  BOOST_TEST(none.name.empty());
  auto off = read_initialize_result(
      R"({"protocolVersion":"2025-06-18","capabilities":{"tools":{"listChanged":false}}})");
  BOOST_TEST(!off.tools_list_changed);
  auto odd = read_initialize_result(
      R"({"protocolVersion":"2025-06-18","capabilities":{"tools":{"listChanged":"yes"}},"serverInfo":"x"})");
  BOOST_TEST(odd.error.empty());
  BOOST_TEST(!odd.tools_list_changed);
  BOOST_TEST(odd.name.empty());
}

BOOST_AUTO_TEST_CASE(initialize_result_unsupported_versions) {
  for (std::string body : {R"({"protocolVersion":"2099-01-01","capabilities":{}})",
                           R"({"protocolVersion":"2024-10-07"})", R"({"capabilities":{}})",
                           R"({"protocolVersion":20250618})",
                           // The stateless revision does not come from initialize.
                           R"({"protocolVersion":"2026-07-28"})"}) {
    auto info = read_initialize_result(body);
    BOOST_TEST_INFO(body);
    BOOST_TEST(!info.error.empty());
  }
  auto info = read_initialize_result(R"({"protocolVersion":"2099-01-01"})");
  BOOST_TEST(info.error.find("2099-01-01") != std::string::npos);
  for (std::string body : {"", "[]", "null", "not json", "\"2025-06-18\""})
    BOOST_TEST(!read_initialize_result(body).error.empty());
}

BOOST_AUTO_TEST_CASE(discover_result) {
  auto both = read_discover_result(
      R"({"supportedVersions":["2025-06-18","2026-07-28","2099-01-01"],"capabilities":{"tools":{"listChanged":true}},"serverInfo":{"name":"s"}})");
  BOOST_TEST(both.error.empty());
  BOOST_TEST(both.version == "2026-07-28");  // the newest both speak
  BOOST_TEST(both.tools_list_changed);
  BOOST_TEST(both.name == "s");
  auto older = read_discover_result(R"({"supportedVersions":["2024-11-05","2025-03-26"]})");
  BOOST_TEST(older.version == "2025-03-26");
  BOOST_TEST(!read_discover_result(R"({"supportedVersions":["2099-01-01"]})").error.empty());
  BOOST_TEST(!read_discover_result(R"({"supportedVersions":[]})").error.empty());
  BOOST_TEST(!read_discover_result(R"({"supportedVersions":"2025-06-18"})").error.empty());
  BOOST_TEST(!read_discover_result(R"({})").error.empty());
  BOOST_TEST(!read_discover_result("oops").error.empty());
}

// --- tools/list ---

BOOST_AUTO_TEST_CASE(tools_list_reads_tools) {
  auto page = read_tools_list(
      R"({"tools":[)"
      R"({"name":"read_file","description":"Reads a file","inputSchema":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}},)"
      R"({"name":"echo","title":"Echo tool"},)"
      R"({"name":"both","title":"T","description":"D"}]})",
      "fs");
  BOOST_TEST(page.error.empty());
  BOOST_REQUIRE(page.tools.size() == 3u);
  auto& t = page.tools[0];
  BOOST_TEST(t.original == "read_file");
  BOOST_TEST(t.toolset == "fs");
  BOOST_TEST(t.description == "Reads a file");
  auto schema = parse_json(t.parameters_json);
  BOOST_TEST(str(schema["type"]) == "object");
  BOOST_TEST(str(schema["properties"]["path"]["type"]) == "string");
  BOOST_TEST(str(schema["required"][0]) == "path");
  // No description: the title; no schema: an empty object schema.
  BOOST_TEST(page.tools[1].original == "echo");
  BOOST_TEST(page.tools[1].description == "Echo tool");
  auto fallback = parse_json(page.tools[1].parameters_json);
  BOOST_TEST(str(fallback["type"]) == "object");
  BOOST_TEST(page.tools[2].description == "D");
  BOOST_TEST(page.next_cursor.empty());
}

BOOST_AUTO_TEST_CASE(tools_list_pagination) {
  auto page = read_tools_list(R"({"tools":[{"name":"a"}],"nextCursor":"c2"})", "x");
  BOOST_TEST(page.next_cursor == "c2");
  BOOST_TEST(read_tools_list(R"({"tools":[],"nextCursor":null})", "x").next_cursor.empty());
  auto empty = read_tools_list(R"({"tools":[]})", "x");
  BOOST_TEST(empty.error.empty());
  BOOST_TEST(empty.tools.empty());
}

BOOST_AUTO_TEST_CASE(tools_list_skips_malformed_entries) {
  auto page = read_tools_list(
      R"({"tools":[1,"x",null,{},{"name":""},{"name":5},{"description":"no name"},)"
      R"({"name":"ok","inputSchema":"not an object","description":7},)"
      R"({"name":"arr","inputSchema":[1,2]}]})",
      "s");
  BOOST_TEST(page.error.empty());
  BOOST_REQUIRE(page.tools.size() == 2u);
  BOOST_TEST(page.tools[0].original == "ok");
  BOOST_TEST(page.tools[0].description.empty());
  BOOST_TEST(parse_json(page.tools[0].parameters_json).IsObject());
  BOOST_TEST(page.tools[1].original == "arr");
  BOOST_TEST(parse_json(page.tools[1].parameters_json).IsObject());
}

BOOST_AUTO_TEST_CASE(tools_list_without_tools_array) {
  for (std::string body : {"{}", R"({"tools":{}})", R"({"tools":"a"})", R"({"tools":null})", "[]",
                           "not json", ""}) {
    auto page = read_tools_list(body, "s");
    BOOST_TEST_INFO(body);
    BOOST_TEST(!page.error.empty());
    BOOST_TEST(page.tools.empty());
  }
}

// --- tools/call ---

BOOST_AUTO_TEST_CASE(call_params) {
  std::string error;
  auto p = mcp_call_params("read_file", R"({"path":"/tmp/x","n":[1,{"a":null}]})", error);
  BOOST_REQUIRE(p.has_value());
  auto d = parse_json(*p);
  BOOST_TEST(str(d["name"]) == "read_file");
  BOOST_TEST(str(d["arguments"]["path"]) == "/tmp/x");
  BOOST_TEST(d["arguments"]["n"][1]["a"].IsNull());
  BOOST_TEST(d.MemberCount() == 2u);
  // No arguments at all: an empty object.
  for (std::string blank : {"", "  ", "\n\t"}) {
    auto b = mcp_call_params("t", blank, error);
    BOOST_REQUIRE(b.has_value());
    auto e = parse_json(*b);
    BOOST_TEST(e["arguments"].IsObject());
    BOOST_TEST(e["arguments"].MemberCount() == 0u);
  }
  auto q = parse_json(*mcp_call_params("we\"ird", "{}", error));
  BOOST_TEST(str(q["name"]) == "we\"ird");
}

BOOST_AUTO_TEST_CASE(call_params_refuse_non_objects) {
  for (std::string args : {"[]", "[1,2]", "1", "\"x\"", "null", "true", "{", "{\"a\":}", "not json",
                           "{\"a\":1} trailing"}) {
    std::string error;
    auto p = mcp_call_params("t", args, error);
    BOOST_TEST_INFO(args);
    BOOST_TEST(!p.has_value());
    BOOST_TEST(!error.empty());
  }
  // The error quotes the arguments, cut.
  std::string error;
  std::string huge = "[" + std::string(10000, '1') + "]";
  BOOST_TEST(!mcp_call_params("t", huge, error).has_value());
  BOOST_TEST(error.size() < 1000u);
}

// --- tools/call results ---

BOOST_AUTO_TEST_CASE(tool_result_text_joined) {
  auto o = read_tool_result(
      R"({"content":[{"type":"text","text":"line one"},{"type":"text","text":"line two"}]})");
  BOOST_TEST(!o.error);
  BOOST_TEST(o.text == "line one\nline two");
  auto single = read_tool_result(R"({"content":[{"type":"text","text":"42"}],"isError":false})");
  BOOST_TEST(single.text == "42");
  BOOST_TEST(!single.error);
}

BOOST_AUTO_TEST_CASE(tool_result_media_summarized) {
  std::string data(400, 'A');
  auto o = read_tool_result(R"({"content":[{"type":"image","data":")" + data +
                            R"(","mimeType":"image/png"},{"type":"audio","data":"AAAA","mimeType":"audio/wav"}]})");
  BOOST_TEST(!o.error);
  BOOST_TEST(o.text.find(data) == std::string::npos);  // not the base64 itself
  BOOST_TEST(o.text.find("image") != std::string::npos);
  BOOST_TEST(o.text.find("image/png") != std::string::npos);
  BOOST_TEST(o.text.find("400") != std::string::npos);
  BOOST_TEST(o.text.find("audio/wav") != std::string::npos);
  BOOST_TEST(o.text.find('\n') != std::string::npos);  // one line each
}

BOOST_AUTO_TEST_CASE(tool_result_resources) {
  auto o = read_tool_result(
      R"({"content":[{"type":"resource","resource":{"uri":"file:///a.txt","mimeType":"text/plain","text":"hello"}},)"
      R"({"type":"resource","resource":{"uri":"file:///b.bin","blob":"AAAA"}},)"
      R"({"type":"resource_link","uri":"file:///c","name":"c"}]})");
  BOOST_TEST(o.text.find("file:///a.txt") != std::string::npos);
  BOOST_TEST(o.text.find("hello") != std::string::npos);
  BOOST_TEST(o.text.find("file:///b.bin") != std::string::npos);
  BOOST_TEST(o.text.find("AAAA") == std::string::npos);
  BOOST_TEST(o.text.find("file:///c") != std::string::npos);
  BOOST_TEST(!o.error);
}

BOOST_AUTO_TEST_CASE(tool_result_is_error) {
  auto o = read_tool_result(R"({"content":[{"type":"text","text":"no such file"}],"isError":true})");
  BOOST_TEST(o.error);
  BOOST_TEST(o.text == "no such file");
}

BOOST_AUTO_TEST_CASE(tool_result_structured_content) {
  auto only = read_tool_result(R"({"content":[],"structuredContent":{"temperature":21.5}})");
  BOOST_TEST(!only.error);
  BOOST_TEST(same_json(only.text, R"({"temperature":21.5})"));
  auto missing = read_tool_result(R"({"structuredContent":{"a":1}})");
  BOOST_TEST(same_json(missing.text, R"({"a":1})"));
  // Text given too: the text (servers send both, the same thing twice).
  auto both = read_tool_result(
      R"({"content":[{"type":"text","text":"{\"a\":1}"}],"structuredContent":{"a":1}})");
  BOOST_TEST(both.text == "{\"a\":1}");
}

BOOST_AUTO_TEST_CASE(tool_result_odd_content) {
  auto unknown = read_tool_result(R"({"content":[{"type":"video"},{"no":"type"},5]})");
  BOOST_TEST(unknown.text.find("video") != std::string::npos);
  BOOST_TEST(!unknown.error);
  auto empty = read_tool_result(R"({"content":[]})");
  BOOST_TEST(empty.text.empty());
  BOOST_TEST(!empty.error);
  for (std::string bad : {"", "[]", "\"x\"", "not json", "null"}) {
    auto o = read_tool_result(bad);
    BOOST_TEST_INFO(bad);
    BOOST_TEST(o.error);
    BOOST_TEST(!o.text.empty());
  }
}
