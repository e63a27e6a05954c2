#include "domain/core/query_params.hpp"

#include <charconv>

#include <fmt/format.h>

#include "domain/core/api_error.hpp"

namespace troupe::domain {

namespace {
std::int64_t parse_integer(std::string_view text, std::string_view param) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc::result_out_of_range && end == text.data() + text.size())
    throw bad_request(fmt::format("'{}' is out of range", param), std::string(param));
  if (ec != std::errc{} || end != text.data() + text.size())
    throw bad_request(fmt::format("'{}' must be an integer", param), std::string(param));
  return n;
}
}  // namespace

std::int64_t parse_limit(std::string_view text, std::string_view param) {
  auto n = parse_integer(text, param);
  if (n <= 0) throw bad_request(fmt::format("'{}' must be greater than 0", param), std::string(param));
  return n;
}

std::int64_t parse_offset(std::string_view text, std::string_view param) {
  auto n = parse_integer(text, param);
  if (n < 0) throw bad_request(fmt::format("'{}' must not be negative", param), std::string(param));
  return n;
}

bool parse_flag(std::string_view text, std::string_view param) {
  if (text == "true" || text == "1" || text.empty()) return true;
  if (text == "false" || text == "0") return false;
  throw bad_request(fmt::format("'{}' must be true or false", param), std::string(param));
}

}  // namespace troupe::domain
