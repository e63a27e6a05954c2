#pragma once
// The Model Context Protocol as Troupe speaks it (JSON-RPC 2.0 messages):
// the handshake with version negotiation (2024-11-05 … 2025-11-25 with
// initialize; the stateless 2026-07-28 revision through server/discover and
// per-request _meta), tools/list with pagination, tools/call, cancellation,
// ping, and what comes back.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/tools/tool_catalog.hpp"

namespace troupe::domain {

// Revisions Troupe speaks, newest first.
inline constexpr const char* mcp_latest_stateful = "2025-11-25";
inline constexpr const char* mcp_stateless = "2026-07-28";
bool mcp_version_supported(std::string_view version);
bool mcp_version_stateless(std::string_view version);

// A request; in the stateless revision its params carry _meta (version, capabilities).
std::string mcp_request(std::int64_t id, std::string_view method, std::string_view params_json,
                        std::string_view version = {});
std::string mcp_notification(std::string_view method, std::string_view params_json = "{}");
// Answers to a server's own requests: ping gets {}, the rest "method not found".
std::string mcp_response(std::string_view id_json, std::string_view result_json);
std::string mcp_error_response(std::string_view id_json, int code, std::string_view message);

struct mcp_message {
  enum class kind { response, request, notification, invalid };
  kind k = kind::invalid;
  std::optional<std::int64_t> id;  // a response to one of ours (numeric ids)
  std::string id_json;             // a server request's id, as sent
  std::string method;
  std::string result_json;  // a response's result
  bool is_error = false;
  int error_code = 0;
  std::string error_message;
  std::string params_json;
};
// One line (stdio) or one SSE event's data (HTTP).
mcp_message parse_mcp_message(std::string_view text);

std::string mcp_initialize_params(std::string_view version = mcp_latest_stateful);

struct mcp_server_info {
  std::string version;  // negotiated
  bool tools_list_changed = false;
  std::string name;
  std::string error;  // not empty: the handshake failed
};
mcp_server_info read_initialize_result(std::string_view result_json);
// server/discover (2026-07-28): the newest revision both speak.
mcp_server_info read_discover_result(std::string_view result_json);

struct mcp_tools_page {
  std::vector<tool_definition> tools;
  std::string next_cursor;  // empty: the last page
  std::string error;
};
std::string mcp_tools_list_params(std::string_view cursor);
mcp_tools_page read_tools_list(std::string_view result_json, std::string_view toolset);

// tools/call: the arguments must be a JSON object (else an error outcome
// the model sees, and no call).
std::optional<std::string> mcp_call_params(std::string_view tool, std::string_view arguments,
                                           std::string& error);
// Text content joined; images, audio and resources summarized; isError kept.
tool_outcome read_tool_result(std::string_view result_json);
std::string mcp_cancelled_params(std::int64_t request_id, std::string_view reason);

}  // namespace troupe::domain
