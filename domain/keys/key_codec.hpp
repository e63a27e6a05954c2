#pragma once
// The JSON of /v1/keys: create and patch bodies, the key as the API shows it
// (never the secret, except once in the create answer), and the stored record.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/keys/api_key.hpp"

namespace troupe::domain {

// A field present with null clears it (unlimited, no expiry, every agent).
struct key_patch {
  std::optional<std::string> user_id;
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> agents;
  std::optional<std::optional<std::int64_t>> rpm, tpm, max_parallel, token_budget;
  std::optional<budget_period> period;
  std::optional<std::optional<std::int64_t>> expires_at_ms;
};

// Throws api_error: 400 bad values (not positive, a past expires_at, no
// user_id on create, user_id on patch), 422 wrong shape or unknown field.
key_patch parse_key_patch(std::string_view body, bool create, std::int64_t now_ms);

// The key after the patch. A budget without a period counts per month; no
// budget, no period.
api_key apply_key_patch(const key_patch& p, api_key base);

std::string encode_key(const api_key& k);
// The create answer: the key and, this once, its secret.
std::string encode_key_created(const api_key& k, const std::string& secret);
std::string encode_key_list(const std::vector<api_key>& keys);

// What storage keeps: the API's fields plus the hash. Throws
// std::runtime_error on a damaged record.
std::string encode_key_record(const api_key& k);
api_key decode_key_record(std::string_view json);

}  // namespace troupe::domain
