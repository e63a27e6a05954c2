#include "domain/cluster/rendezvous.hpp"

namespace troupe::domain {

namespace {

constexpr std::uint64_t fnv_offset = 14695981039346656037ull, fnv_prime = 1099511628211ull;

std::uint64_t fnv1a(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= fnv_prime;
  }
  return h;
}

// splitmix64's finalizer: FNV alone mixes the last bytes poorly, and
// weights of similar ids must not correlate.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

std::uint64_t rendezvous_weight(std::string_view key, std::string_view member) {
  // The member's length goes first so that ("ab","c") and ("a","bc") differ.
  std::uint64_t h = fnv1a(fnv_offset, std::to_string(member.size()));
  h = fnv1a(h, member);
  h = fnv1a(h, "\x1f");
  return mix(fnv1a(h, key));
}

std::optional<std::string> rendezvous_owner(std::string_view key,
                                            const std::vector<std::string>& members) {
  const std::string* best = nullptr;
  std::uint64_t best_weight = 0;
  for (auto& m : members) {
    auto w = rendezvous_weight(key, m);
    if (!best || w > best_weight || (w == best_weight && m < *best)) {
      best = &m;
      best_weight = w;
    }
  }
  if (!best) return std::nullopt;
  return *best;
}

}  // namespace troupe::domain
