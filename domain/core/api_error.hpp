#pragma once
// The one error shape of the API. Handlers and actors throw or return it;
// the HTTP layer writes it as the common envelope.
#include <cstdint>
#include <string>

namespace troupe::domain {

struct api_error {
  int status = 500;
  std::string type;     // OpenAI error type, e.g. "invalid_request_error"
  std::string code;     // machine-readable, e.g. "model_not_found"
  std::string message;
  std::string param;    // empty → JSON null
  std::int64_t retry_after_s = 0;  // > 0: sent as a Retry-After header
};

api_error bad_request(std::string message, std::string param = {},
                      std::string code = "invalid_value");
api_error unauthorized(std::string message);
api_error forbidden(std::string message, std::string param = {});
api_error not_found(std::string message, std::string code = "not_found",
                    std::string param = {});
api_error method_not_allowed(std::string message);
api_error conflict(std::string message, std::string code = "conflict",
                   std::string param = {});
api_error payload_too_large(std::string message);
api_error unsupported_media_type(std::string message);
api_error unprocessable(std::string message, std::string param = {});
api_error internal_error(std::string message);
api_error not_implemented(std::string message, std::string param = {});
// An upstream LLM server failed or answered with an error.
api_error bad_gateway(std::string message);
api_error service_unavailable(std::string message);
api_error gateway_timeout(std::string message);
api_error too_many_requests(std::string message, std::int64_t retry_after_s,
                            std::string code = "rate_limit_exceeded");

// {"error":{"message","type","param","code"},"detail":"<message>"}
std::string encode_error(const api_error& e);

}  // namespace troupe::domain
