#include "http/query.hpp"

#include "domain/agents/agent_codec.hpp"
#include "domain/core/query_params.hpp"

namespace troupe::http {

std::optional<std::string> query_params::get(const char* key) const {
  auto v = q_.get_param(key);
  if (!v) return std::nullopt;
  return std::string(v->data(), v->size());
}

std::string query_params::text(const char* key) const { return get(key).value_or(""); }

bool query_params::flag(const char* key) const {
  auto v = get(key);
  return v && domain::parse_flag(*v, key);
}

std::int64_t query_params::limit(const char* key, std::int64_t fallback) const {
  auto v = get(key);
  return v ? domain::parse_limit(*v, key) : fallback;
}

std::int64_t query_params::offset(const char* key) const {
  auto v = get(key);
  return v ? domain::parse_offset(*v, key) : 0;
}

query_params query_of(const exchange& x) {
  try {
    return query_params{restinio::parse_query(x.req->header().query())};
  } catch (const std::exception& e) {
    throw domain::bad_request(std::string("malformed query string: ") + e.what(), {},
                              "invalid_query");
  }
}

}  // namespace troupe::http
