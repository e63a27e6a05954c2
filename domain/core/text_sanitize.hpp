#pragma once
// Text that came from a client and goes back out in a JSON message (a path
// segment, a content type, an id): always valid UTF-8, never unbounded.
#include <cstddef>
#include <string>
#include <string_view>

namespace troupe::domain {

// Each ill-formed UTF-8 sequence (its maximal subpart, as Unicode recommends)
// becomes U+FFFD; valid text comes back unchanged.
std::string to_valid_utf8(std::string_view s);

// At most `max_bytes` of valid UTF-8, cut at a character boundary and ended
// with "…" when cut (the "…" is within the limit).
std::string cap_utf8(std::string_view s, std::size_t max_bytes);

// A client's value quoted in a message: valid and at most 200 bytes.
inline std::string echo(std::string_view value) { return cap_utf8(to_valid_utf8(value), 200); }

}  // namespace troupe::domain
