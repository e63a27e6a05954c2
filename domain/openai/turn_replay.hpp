#pragma once
// Idempotent retries: the answer of a turn that came with an Idempotency-Key
// is stored with it (as a chat completion object), and a retry with the same
// key gets that answer again instead of a second run.
#include <optional>
#include <string>
#include <string_view>

#include "domain/chat/completion.hpp"

namespace troupe::domain {

// Throws api_error 400 unless `key` is 1–255 visible ASCII characters.
void check_idempotency_key(std::string_view key);

// The hash that tells a retry (the same body) from another request that
// reuses the key.
std::string request_hash(std::string_view body);

std::string encode_replay(const completion_result& r, std::string_view provider);

struct replay {
  completion_result result;
  std::string provider;
};
// nullopt: not an answer encode_replay wrote.
std::optional<replay> decode_replay(std::string_view stored);

}  // namespace troupe::domain
