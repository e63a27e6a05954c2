#pragma once
// The built-in `current_time` tool: the time in an IANA zone, read from the
// system's TZif files (tzdata) without touching the process-wide TZ.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace troupe::domain {

struct zoned_time {
  std::string iso;         // 2026-12-03T12:34:56+01:00
  std::string zone;        // Europe/Paris
  std::string abbreviation;  // CET
  std::int32_t utc_offset_s = 0;
};

// `zone` like "Europe/Paris" or "UTC"; nullopt with `error` for an unknown one.
std::optional<zoned_time> time_in_zone(std::string_view zone, std::int64_t unix_s,
                                       std::string& error,
                                       const std::string& zoneinfo_dir = "/usr/share/zoneinfo");

}  // namespace troupe::domain
