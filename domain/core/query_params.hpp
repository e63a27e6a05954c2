#pragma once
// Query-string values of the list routes (?limit=&offset=&active=).
#include <cstdint>
#include <string_view>

namespace troupe::domain {

// "limit" must be > 0, "offset" >= 0; both integers (400 otherwise).
std::int64_t parse_limit(std::string_view text, std::string_view param);
std::int64_t parse_offset(std::string_view text, std::string_view param);
// true/1/empty or false/0.
bool parse_flag(std::string_view text, std::string_view param);

}  // namespace troupe::domain
