#pragma once
#include <cstdint>
#include <string>

namespace troupe::domain {

// Milliseconds since the Unix epoch (wall clock: these are stored timestamps).
std::int64_t now_ms();

// 2026-11-25T08:07:49.123Z
std::string iso8601(std::int64_t ms);

}  // namespace troupe::domain
