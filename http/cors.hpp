#pragma once
// CORS for browser clients (--cors-origins): the allowed origins get
// Access-Control-Allow-Origin on every response, and preflights are answered
// with what the route allows. No origins configured: no CORS at all.
#include <string>
#include <vector>

#include <restinio/all.hpp>

#include "http/http_sink.hpp"
#include "http/router.hpp"

namespace troupe::http {

// Adds the CORS headers when the request's Origin is one of `origins` ("*": any).
void add_cors_headers(const restinio::request_handle_t& req, http_sink& sink,
                      const std::vector<std::string>& origins);

// Answers a preflight (OPTIONS with Origin and Access-Control-Request-Method)
// on a known path: 204 with the methods and headers allowed, or 403 for an
// origin not allowed. False when it is no preflight (or CORS is off).
bool answer_preflight(const restinio::request_handle_t& req, const router::match_result& m,
                      http_sink& sink, const std::vector<std::string>& origins);

}  // namespace troupe::http
