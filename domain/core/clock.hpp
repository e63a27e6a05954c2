#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace troupe::domain {

// Milliseconds since the Unix epoch (wall clock: these are stored timestamps).
std::int64_t now_ms();

// 2026-11-25T08:07:49.123Z
std::string iso8601(std::int64_t ms);

// The inverse of iso8601 (also without milliseconds); nullopt when malformed.
std::optional<std::int64_t> parse_iso8601(std::string_view text);

}  // namespace troupe::domain
