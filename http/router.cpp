#include "http/router.hpp"

#include <restinio/utils/percent_encoding.hpp>

namespace troupe::http {

namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace

void router::add(restinio::http_method_id_t method, std::string_view pattern, route_handler h) {
  route r{std::string(pattern), {}, method, std::move(h)};
  for (auto s : split(pattern)) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

router::match_result router::match(restinio::http_method_id_t method,
                                   std::string_view path) const {
  match_result out;
  // "/v1/agents/" and "/v1/agents" are one path; "//" collapses too.
  auto segs = split(path);
  for (auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    route_params params;
    bool ok = true;
    for (std::size_t i = 0; ok && i < segs.size(); ++i) {
      if (!r.segments[i].empty() && r.segments[i][0] == ':') {
        try {
          params.push_back(restinio::utils::unescape_percent_encoding(segs[i]));
        } catch (const std::exception&) {
          params.emplace_back(segs[i]);
        }
      } else {
        ok = r.segments[i] == segs[i];
      }
    }
    if (!ok) continue;
    out.pattern = &r.pattern;
    if (r.method == method) {
      out.handler = &r.handler;
      out.params = std::move(params);
      return out;
    }
    std::string name = r.method.c_str();
    if (out.allow.find(name) == std::string::npos)
      out.allow += (out.allow.empty() ? "" : ", ") + name;
  }
  return out;
}

std::vector<router::route_info> router::routes() const {
  std::vector<route_info> out;
  for (auto& r : routes_) out.push_back({r.method.c_str(), r.pattern});
  return out;
}

}  // namespace troupe::http
