#pragma once
// Small request rules that do not need an HTTP library.
#include <string_view>

namespace troupe::domain {

// Token comparison whose time does not depend on where the strings differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// "application/json", "application/json; charset=utf-8", "application/x+json".
bool is_json_content_type(std::string_view content_type);

}  // namespace troupe::domain
