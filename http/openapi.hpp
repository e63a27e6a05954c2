#pragma once
// The OpenAPI 3.1 document of the API (docs/openapi.json, compiled in).
#include <string_view>

namespace troupe::http {

std::string_view openapi_document();

}  // namespace troupe::http
