#include "http/log_format.hpp"

#include <chrono>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/details/log_msg.h>

#include "domain/core/clock.hpp"
#include "domain/core/json.hpp"

namespace troupe::http {

namespace {

// The fields a message may end with, moved out of the text into the object.
constexpr std::string_view trailing_fields[] = {"request_id", "session"};

std::vector<std::pair<std::string_view, std::string_view>> take_fields(std::string_view& text) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (;;) {
    auto space = text.rfind(' ');
    if (space == std::string_view::npos) break;
    auto token = text.substr(space + 1);
    auto eq = token.find('=');
    if (eq == std::string_view::npos) break;
    auto key = token.substr(0, eq);
    bool known = false;
    for (auto f : trailing_fields) known = known || f == key;
    if (!known) break;
    out.emplace_back(key, token.substr(eq + 1));
    text = text.substr(0, space);
  }
  return out;
}

class json_log_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view text(msg.payload.data(), msg.payload.size());
    auto fields = take_fields(text);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    domain::json_out out;
    auto& w = out.w;
    w.StartObject();
    w.Key("time");
    w.String(domain::iso8601(ms));
    w.Key("level");
    auto level = spdlog::level::to_string_view(msg.level);
    w.String(level.data(), static_cast<rapidjson::SizeType>(level.size()));
    w.Key("message");
    domain::write_string(w, text);
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
      domain::write_string_key(w, it->first);
      domain::write_string(w, it->second);
    }
    w.EndObject();
    dest.append(out.buf.GetString(), out.buf.GetString() + out.buf.GetSize());
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_log_formatter>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_json_log_formatter() {
  return std::make_unique<json_log_formatter>();
}

}  // namespace troupe::http
