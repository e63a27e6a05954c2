#pragma once
#include <cstddef>
#include <string_view>

namespace troupe::domain {

// Code points in valid UTF-8 (the parser has already validated the bytes).
std::size_t utf8_length(std::string_view s);

// Whether the text holds anything but whitespace.
bool is_blank(std::string_view s);

}  // namespace troupe::domain
