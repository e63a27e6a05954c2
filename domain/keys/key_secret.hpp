#pragma once
// Secrets of user keys: made from OpenSSL's CSPRNG, kept only as SHA-256.
#include <string>
#include <string_view>

namespace troupe::domain {

struct key_secret {
  std::string secret;  // "tr-" + 43 base64url characters (256 random bits)
  std::string prefix;  // what listings show: "tr-" and the next 8 characters
  std::string hash;    // sha256_hex(secret)
};

// Throws api_error 500 if the random generator fails.
key_secret generate_key_secret();

// Lower-case hex SHA-256 (64 characters).
std::string sha256_hex(std::string_view text);

// Whether a bearer token is shaped like a user key (then it must be one).
bool looks_like_user_key(std::string_view token);

}  // namespace troupe::domain
