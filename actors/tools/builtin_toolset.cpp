#include "actors/tools/builtin_toolset.hpp"

#include <fmt/format.h>

#include "domain/core/clock.hpp"
#include "domain/core/json.hpp"
#include "domain/tools/calculator.hpp"
#include "domain/tools/time_zone.hpp"

namespace troupe::actors {

namespace {

constexpr std::size_t max_fetch_bytes = 512u << 10;

// One GET: the text, or why not, delivered once.
class fetch final : public http_exchange {
 public:
  fetch(caf::typed_response_promise<domain::tool_outcome> rp, std::shared_ptr<turn_reply> turn,
        std::chrono::steady_clock::time_point deadline)
      : rp_(std::move(rp)), turn_(std::move(turn)), deadline_(deadline) {}

  void on_head(const response_head& head) override { head_ = head; }
  bool on_body(std::string_view bytes) override {
    if (body_.size() + bytes.size() > max_fetch_bytes) {
      body_.append(bytes.substr(0, max_fetch_bytes - body_.size()));
      truncated_ = true;
      return false;
    }
    body_.append(bytes);
    return true;
  }
  bool still_wanted(std::chrono::steady_clock::time_point now) override {
    return now < deadline_ && !(turn_ && (turn_->client_gone() || turn_->finished()));
  }
  void on_end(const transfer_end& end) override {
    if (truncated_ || end.how == transfer_end::kind::completed) return answer();
    rp_.deliver(domain::tool_outcome{"the fetch failed: " + (end.detail.empty() ? "aborted" : end.detail), true});
  }

 private:
  void answer() { rp_.deliver(outcome()); }

  domain::tool_outcome outcome() {
    auto& ct = head_.content_type;
    if (head_.status >= 300 && head_.status < 400)
      return {fmt::format("HTTP {}: redirected to {} (not followed)", head_.status, head_.location), true};
    if (head_.status >= 400) return {fmt::format("HTTP {}", head_.status), true};
    bool text = ct.empty() || ct.rfind("text/", 0) == 0 || ct.find("json") != std::string::npos ||
                ct.find("xml") != std::string::npos || ct.find("javascript") != std::string::npos;
    if (!text) return {"not a text document: " + ct, true};
    if (truncated_) body_ += fmt::format("\n[… cut at {} bytes]", max_fetch_bytes);
    return {std::move(body_), false};
  }

  caf::typed_response_promise<domain::tool_outcome> rp_;
  std::shared_ptr<turn_reply> turn_;
  std::chrono::steady_clock::time_point deadline_;
  response_head head_;
  std::string body_;
  bool truncated_ = false;
};

// The string argument `key` of a tool call, or "" (an error says why).
std::string argument(const std::string& arguments, const char* key, std::string& error) {
  rapidjson::Document d;
  try {
    domain::parse_json(arguments.empty() ? std::string_view("{}") : arguments, d);
  } catch (const domain::api_error& e) {
    error = "the arguments are not JSON: " + e.message;
    return {};
  }
  if (!d.IsObject()) {
    error = "the arguments must be a JSON object";
    return {};
  }
  auto it = d.FindMember(key);
  if (it == d.MemberEnd() || it->value.IsNull()) return {};
  if (!it->value.IsString()) error = fmt::format("'{}' must be a string", key);
  return it->value.IsString() ? it->value.GetString() : "";
}

caf::behavior builtin_toolset(caf::event_based_actor* self, domain::toolset_config cfg,
                              std::shared_ptr<curl_loop> http) {
  auto tools = domain::builtin_tools(cfg);
  return {
      [=](const list_tools&) { return tool_list{tools, {}}; },
      [=](const call_tool& c) -> caf::result<domain::tool_outcome> {
        std::string error;
        if (c.tool == "current_time") {
          auto zone = argument(c.arguments, "timezone", error);
          if (!error.empty()) return domain::tool_outcome{error, true};
          auto t = domain::time_in_zone(zone.empty() ? "UTC" : zone, domain::now_ms() / 1000, error);
          if (!t) return domain::tool_outcome{error, true};
          return domain::tool_outcome{fmt::format("{} ({}, {})", t->iso, t->zone, t->abbreviation), false};
        }
        if (c.tool == "calculator") {
          auto expr = argument(c.arguments, "expression", error);
          if (!error.empty()) return domain::tool_outcome{error, true};
          auto v = domain::evaluate_arithmetic(expr, error);
          if (!v) return domain::tool_outcome{error, true};
          return domain::tool_outcome{domain::format_number(*v), false};
        }
        if (c.tool == "fetch_url") {
          auto url = argument(c.arguments, "url", error);
          if (!error.empty()) return domain::tool_outcome{error, true};
          bool allowed = false;
          for (auto& prefix : cfg.fetch_allow) allowed = allowed || url.rfind(prefix, 0) == 0;
          if (!allowed)
            return domain::tool_outcome{
                fmt::format("'{}' is not under an allowed prefix ({})", url, fmt::join(cfg.fetch_allow, ", ")),
                true};
          auto rp = self->make_response_promise<domain::tool_outcome>();
          http_post get;
          get.url = url;
          get.headers = {"Accept: text/*, application/json;q=0.9", "User-Agent: troupe/" TROUPE_VERSION};
          auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<std::int64_t>(cfg.timeout_s * 1000));
          http->start(std::move(get), std::make_shared<fetch>(rp, c.turn, deadline));
          return rp;
        }
        return domain::tool_outcome{"no tool '" + c.tool + "' in toolset " + cfg.name, true};
      },
  };
}

}  // namespace

toolset_actor spawn_builtin_toolset(caf::actor_system& sys, const domain::toolset_config& cfg,
                                    std::shared_ptr<curl_loop> http) {
  return caf::actor_cast<toolset_actor>(sys.spawn(builtin_toolset, cfg, std::move(http)));
}

}  // namespace troupe::actors
