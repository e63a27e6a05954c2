#pragma once
// A small path router: "/v1/agents/:id" patterns matched segment by segment
// (no regex on the hot path), trailing slash optional, 404 for unknown paths
// and 405 with Allow for a known path with another method.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <restinio/all.hpp>

#include "http/caller.hpp"
#include "http/http_sink.hpp"

namespace troupe::http {

using route_params = std::vector<std::string>;

// What a handler gets: the request, the ":name" segments in order, and the
// sink its answer goes to (now or later, from an actor).
struct exchange {
  const restinio::request_handle_t& req;
  const std::vector<std::string>& params;
  const std::shared_ptr<http_sink>& sink;
  const caller& who;  // whose request it is (see http/auth)
};
using route_handler = std::function<void(const exchange&)>;

class router {
 public:
  void add(restinio::http_method_id_t method, std::string_view pattern, route_handler h);

  struct match_result {
    const route_handler* handler = nullptr;  // set when path and method match
    route_params params;
    std::string allow;  // path known, method not: the methods it takes
    const std::string* pattern = nullptr;  // the matched route, e.g. "/v1/agents/:id"
  };
  match_result match(restinio::http_method_id_t method, std::string_view path) const;

  struct route_info {
    std::string method;   // "GET"
    std::string pattern;  // "/v1/agents/:id"
  };
  // Every route, in the order added (the OpenAPI test checks them all).
  std::vector<route_info> routes() const;

 private:
  struct route {
    std::string pattern;
    std::vector<std::string> segments;  // ":name" matches any one segment
    restinio::http_method_id_t method;
    route_handler handler;
  };
  std::vector<route> routes_;
};

}  // namespace troupe::http
