#pragma once
// A conversation's fingerprint, chained message by message: the hash of a
// stored conversation equals the hash of the same messages at the front of a
// resent one, so a client that sends no session id but resends the whole
// conversation finds its session by an indexed lookup, not a scan. Stable
// across builds and platforms (it is stored); messages that are same_as()
// hash alike.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "domain/chat/chat_message.hpp"

namespace troupe::domain {

inline constexpr std::uint64_t empty_conversation_hash = 0x9e3779b97f4a7c15ull;

std::uint64_t message_hash(const chat_message& m);

// The hash of a conversation `prev` with `m` appended.
std::uint64_t chain_hash(std::uint64_t prev, const chat_message& m);

// A prefix of a resent conversation that may be a stored session's whole
// conversation: its hash and its length.
struct conversation_prefix {
  std::uint64_t hash = 0;
  std::size_t length = 0;
};

// The prefixes of messages[from, end) that a stored conversation can be:
// those ending with an assistant message (every stored turn ends with the
// reply), longest first; at most `max` of them (a resend's stored part ends
// just before the newest messages, so the longest ones are where it is).
std::vector<conversation_prefix> resend_candidates(const message_list& messages,
                                                   std::size_t from, std::size_t max = 32);

template <class It>
std::uint64_t conversation_hash(It begin, It end, std::uint64_t h = empty_conversation_hash) {
  for (; begin != end; ++begin) h = chain_hash(h, *begin);
  return h;
}

}  // namespace troupe::domain
