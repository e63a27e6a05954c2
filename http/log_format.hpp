#pragma once
// --log-format=json: one JSON object per log line, for log shippers.
#include <memory>

#include <spdlog/formatter.h>

namespace troupe::http {

// {"time","level","message"} plus "session" and "request_id" when the line
// ends with those key=value fields (the access log line, lines about a request).
std::unique_ptr<spdlog::formatter> make_json_log_formatter();

}  // namespace troupe::http
