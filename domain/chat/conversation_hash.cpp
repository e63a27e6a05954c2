#include "domain/chat/conversation_hash.hpp"

#include <algorithm>
#include <string_view>

namespace troupe::domain {

namespace {

// FNV-1a over length-prefixed fields (so field boundaries count), then a
// splitmix64 finish for a good spread of the 64 bits.
struct hasher {
  std::uint64_t h = 0xcbf29ce484222325ull;

  void byte(unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  void number(std::uint64_t n) {
    for (int i = 0; i < 8; ++i) byte(static_cast<unsigned char>(n >> (8 * i)));
  }
  void text(std::string_view s) {
    number(s.size());
    for (unsigned char c : s) byte(c);
  }
};

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

std::uint64_t message_hash(const chat_message& m) {
  hasher h;
  h.byte(static_cast<unsigned char>(m.role));
  bool empty = m.kind == content_kind::null || (m.kind == content_kind::text && m.content.empty());
  if (empty) {
    h.byte(0);
  } else if (m.kind == content_kind::parts) {
    h.byte(2);
    h.text(m.extra->parts_json);
  } else {
    h.byte(1);
    h.text(m.content);
  }
  if (m.extra) {
    auto& e = *m.extra;
    h.text(e.name);
    h.text(e.tool_call_id);
    h.byte(e.refusal ? 1 : 0);
    if (e.refusal) h.text(*e.refusal);
    h.number(e.tool_calls.size());
    for (auto& c : e.tool_calls) {
      h.text(c.id);
      h.text(c.name);
      h.text(canonical_arguments(c.arguments));
    }
  } else {
    h.text("");
    h.text("");
    h.byte(0);
    h.number(0);
  }
  return mix(h.h);
}

std::uint64_t chain_hash(std::uint64_t prev, const chat_message& m) {
  return mix(prev ^ (message_hash(m) * 0xff51afd7ed558ccdull));
}

std::vector<conversation_prefix> resend_candidates(const message_list& messages,
                                                   std::size_t from, std::size_t max) {
  std::vector<conversation_prefix> out;
  auto h = empty_conversation_hash;
  for (auto i = from; i < messages.size(); ++i) {
    h = chain_hash(h, messages[i]);
    if (messages[i].role == role::assistant) out.push_back({h, i + 1 - from});
  }
  std::reverse(out.begin(), out.end());
  if (out.size() > max) out.resize(max);
  return out;
}

}  // namespace troupe::domain
