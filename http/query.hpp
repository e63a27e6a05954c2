#pragma once
// Query-string parameters with the API's rules (400 for bad values).
#include <optional>
#include <string>

#include "http/router.hpp"

namespace troupe::http {

class query_params {
 public:
  explicit query_params(restinio::query_string_params_t q) : q_(std::move(q)) {}
  std::string text(const char* key) const;
  // nullopt when the key is absent ("" when given empty).
  std::optional<std::string> given(const char* key) const { return get(key); }
  bool flag(const char* key) const;
  std::int64_t limit(const char* key, std::int64_t fallback) const;
  std::int64_t offset(const char* key) const;

 private:
  std::optional<std::string> get(const char* key) const;
  restinio::query_string_params_t q_;
};

query_params query_of(const exchange& x);

}  // namespace troupe::http
