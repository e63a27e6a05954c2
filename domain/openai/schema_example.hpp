#pragma once
// A JSON value that satisfies a JSON Schema, for the test provider's answers
// to structured-output requests and its scripted tool call arguments. Covers
// what structured outputs use: type (or a list of types), enum, const,
// properties/required, items, min/max bounds, anyOf/oneOf/allOf and local
// $ref (#/$defs/…, #/definitions/…).
#include <string>
#include <string_view>

namespace troupe::domain {

// Compact JSON text; "{}" when the schema is not valid JSON.
std::string example_for_schema(std::string_view schema_json);

}  // namespace troupe::domain
