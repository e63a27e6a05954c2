#pragma once
// Rendezvous (highest-random-weight) hashing: which member owns a key (a
// session id). Every node computes the same owner from the same member set,
// with no coordination; when a member joins it takes about 1/N of the keys
// from the others, and when one leaves only its own keys move.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::domain {

// The weight of `member` for `key`: stable across builds and machines
// (FNV-1a 64 then a 64-bit finalizer, no std::hash).
std::uint64_t rendezvous_weight(std::string_view key, std::string_view member);

// The member with the highest weight for `key` (ties: the smaller id, so the
// order of `members` never matters); nullopt when there is none.
std::optional<std::string> rendezvous_owner(std::string_view key,
                                            const std::vector<std::string>& members);

}  // namespace troupe::domain
