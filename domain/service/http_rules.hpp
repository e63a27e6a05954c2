#pragma once
// Small request rules that do not need an HTTP library.
#include <optional>
#include <string_view>

namespace troupe::domain {

// Token comparison whose time does not depend on where the strings differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// The credentials of "Authorization: Bearer T" (scheme case-insensitive,
// RFC 9110 §11.1); nullopt for another scheme or no credentials.
std::optional<std::string_view> bearer_credentials(std::string_view authorization);

// "application/json", "application/json; charset=utf-8", "application/x+json".
bool is_json_content_type(std::string_view content_type);

}  // namespace troupe::domain
