#pragma once
// The parts of a chat request about tools and reply formats: `tools`,
// `tool_choice`, the legacy `functions`/`function_call` (read as their tool
// equivalents), and `response_format`.
#include "domain/core/json.hpp"
#include "domain/openai/completion_request.hpp"

namespace troupe::domain {

// Each validates what Troupe reads, fills `req` and returns the JSON text to
// forward upstream (legacy forms converted to tools / tool_choice).
std::string read_tools(const json_value& v, completion_request& req);
std::string read_functions(const json_value& v, completion_request& req);
std::string read_tool_choice(const json_value& v, completion_request& req);
std::string read_function_call(const json_value& v, completion_request& req);
void read_response_format(const json_value& v, completion_request& req);

}  // namespace troupe::domain
