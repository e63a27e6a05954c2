#include "domain/keys/key_secret.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "domain/core/api_error.hpp"

namespace troupe::domain {

namespace {

constexpr std::string_view key_scheme = "tr-";

std::string base64url(const unsigned char* p, std::size_t n) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | p[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

}  // namespace

key_secret generate_key_secret() {
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1)
    throw internal_error("the random number generator failed");
  key_secret k;
  k.secret = std::string(key_scheme) + base64url(random, sizeof random);
  k.prefix = k.secret.substr(0, key_scheme.size() + 8);
  k.hash = sha256_hex(k.secret);
  return k;
}

std::string sha256_hex(std::string_view text) {
  // Fetched once: OpenSSL 3 would otherwise look the implementation up (under
  // a lock) on every call, and this runs on every request with a user key.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!sha256 || EVP_Digest(text.data(), text.size(), digest, &len, sha256, nullptr) != 1)
    throw internal_error("SHA-256 failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xf]);
  }
  return out;
}

bool looks_like_user_key(std::string_view token) { return token.rfind(key_scheme, 0) == 0; }

}  // namespace troupe::domain
