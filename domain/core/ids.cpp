#include "domain/core/ids.hpp"

#include <random>

namespace troupe::domain {

std::string new_id(std::string_view prefix) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(prefix);
  out.reserve(prefix.size() + 24);
  for (int part = 0; part < 2; ++part) {
    auto bits = rng();
    for (int i = 0; i < 12; ++i, bits >>= 4) out.push_back(hex[bits & 0xf]);
  }
  return out;
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace troupe::domain
