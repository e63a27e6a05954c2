#include "domain/keys/key_codec.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "domain/core/clock.hpp"
#include "domain/core/ids.hpp"
#include "domain/core/json.hpp"
#include "domain/core/utf8.hpp"

namespace troupe::domain {

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::optional<std::int64_t> positive_or_null(const json_value& v, const char* param) {
  if (v.IsNull()) return std::nullopt;
  auto n = get_int(v, param);
  if (n <= 0) throw bad_request(fmt::format("'{}' must be a positive integer", param), param);
  return n;
}

// Unix seconds or an ISO 8601 UTC time; must lie ahead.
std::optional<std::int64_t> read_expiry(const json_value& v, std::int64_t now_ms) {
  if (v.IsNull()) return std::nullopt;
  std::int64_t ms = 0;
  if (v.IsString()) {
    auto parsed = parse_iso8601(std::string_view(v.GetString(), v.GetStringLength()));
    if (!parsed)
      throw bad_request("'expires_at' must be Unix seconds or a time like 2030-01-31T00:00:00Z",
                        "expires_at");
    ms = *parsed;
  } else {
    ms = get_int(v, "expires_at") * 1000;
  }
  if (ms <= now_ms) throw bad_request("'expires_at' is in the past", "expires_at");
  return ms;
}

std::vector<std::string> read_agents(const json_value& v) {
  auto agents = get_string_array(v, "agents");
  if (agents.empty())
    throw bad_request("'agents' must name at least one agent (omit it for every agent)", "agents");
  for (auto& a : agents)
    if (!valid_id(a)) throw bad_request(fmt::format("'agents' holds an invalid id '{}'", a), "agents");
  return agents;
}

void check_user_id(const std::string& user_id) {
  if (user_id.empty() || user_id.size() > 256 || is_blank(user_id))
    throw bad_request("'user_id' must be 1 to 256 bytes, not blank", "user_id");
}

void optional_int(writer& w, const char* key, const std::optional<std::int64_t>& v) {
  w.Key(key);
  if (v)
    w.Int64(*v);
  else
    w.Null();
}

void write_key(writer& w, const api_key& k, const std::string* secret, bool with_hash) {
  w.StartObject();
  w.Key("id");
  w.String(k.id);
  w.Key("object");
  w.String("api_key");
  if (secret) {
    w.Key("key");
    w.String(*secret);
  }
  w.Key("prefix");
  w.String(k.prefix);
  w.Key("user_id");
  w.String(k.user_id);
  w.Key("name");
  w.String(k.name);
  w.Key("agents");
  if (k.agents.empty()) {
    w.Null();
  } else {
    w.StartArray();
    for (auto& a : k.agents) w.String(a);
    w.EndArray();
  }
  optional_int(w, "rpm", k.limits.rpm);
  optional_int(w, "tpm", k.limits.tpm);
  optional_int(w, "max_parallel", k.limits.max_parallel);
  optional_int(w, "token_budget", k.limits.token_budget);
  w.Key("budget_period");
  if (k.limits.period == budget_period::none)
    w.Null();
  else
    w.String(std::string(to_string(k.limits.period)));
  w.Key("expires_at");
  if (k.expires_at_ms)
    w.String(iso8601(*k.expires_at_ms));
  else
    w.Null();
  w.Key("created_at");
  w.String(iso8601(k.created_at_ms));
  if (with_hash) {
    w.Key("hash");
    w.String(k.hash);
  }
  w.EndObject();
}

std::string encode(const api_key& k, const std::string* secret, bool with_hash) {
  json_out out;
  write_key(out.w, k, secret, with_hash);
  return out.str();
}

}  // namespace

key_patch parse_key_patch(std::string_view body, bool create, std::int64_t now_ms) {
  rapidjson::Document doc;
  parse_json_object(body, doc);
  key_patch p;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    auto key = key_of(it);
    auto& v = it->value;
    if (key == "user_id") {
      if (!create) throw bad_request("the 'user_id' of a key cannot change", "user_id");
      p.user_id = get_string(v, "user_id");
      check_user_id(*p.user_id);
    } else if (key == "name") {
      p.name = v.IsNull() ? std::string{} : get_string(v, "name");
      if (utf8_length(*p.name) > 200) throw bad_request("'name' must be at most 200 characters", "name");
    } else if (key == "agents") {
      p.agents = v.IsNull() ? std::vector<std::string>{} : read_agents(v);
    } else if (key == "rpm") {
      p.rpm = positive_or_null(v, "rpm");
    } else if (key == "tpm") {
      p.tpm = positive_or_null(v, "tpm");
    } else if (key == "max_parallel") {
      p.max_parallel = positive_or_null(v, "max_parallel");
    } else if (key == "token_budget") {
      p.token_budget = positive_or_null(v, "token_budget");
    } else if (key == "budget_period") {
      if (v.IsNull()) {
        p.period = budget_period::none;
        continue;
      }
      auto period = parse_budget_period(get_string(v, "budget_period"));
      if (!period) throw bad_request("'budget_period' must be 'day' or 'month'", "budget_period");
      p.period = *period;
    } else if (key == "expires_at") {
      p.expires_at_ms = read_expiry(v, now_ms);
    } else {
      throw unprocessable(fmt::format("unknown field '{}'", key), std::string(key));
    }
  }
  if (create && !p.user_id) throw bad_request("'user_id' is required", "user_id");
  return p;
}

api_key apply_key_patch(const key_patch& p, api_key k) {
  if (p.user_id) k.user_id = *p.user_id;
  if (p.name) k.name = *p.name;
  if (p.agents) k.agents = *p.agents;
  if (p.rpm) k.limits.rpm = *p.rpm;
  if (p.tpm) k.limits.tpm = *p.tpm;
  if (p.max_parallel) k.limits.max_parallel = *p.max_parallel;
  if (p.token_budget) k.limits.token_budget = *p.token_budget;
  if (p.period) k.limits.period = *p.period;
  if (p.expires_at_ms) k.expires_at_ms = *p.expires_at_ms;
  if (!k.limits.token_budget)
    k.limits.period = budget_period::none;
  else if (k.limits.period == budget_period::none)
    k.limits.period = budget_period::month;
  return k;
}

std::string encode_key(const api_key& k) { return encode(k, nullptr, false); }

std::string encode_key_created(const api_key& k, const std::string& secret) {
  return encode(k, &secret, false);
}

std::string encode_key_list(const std::vector<api_key>& keys) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("object");
  w.String("list");
  w.Key("data");
  w.StartArray();
  for (auto& k : keys) write_key(w, k, nullptr, false);
  w.EndArray();
  w.EndObject();
  return out.str();
}

std::string encode_key_record(const api_key& k) { return encode(k, nullptr, true); }

api_key decode_key_record(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) throw std::runtime_error("not a JSON object");
  auto text = [&](const char* key) -> std::string {
    auto it = d.FindMember(key);
    if (it == d.MemberEnd() || !it->value.IsString()) throw std::runtime_error(std::string("no ") + key);
    return {it->value.GetString(), it->value.GetStringLength()};
  };
  auto number = [&](const char* key) -> std::optional<std::int64_t> {
    auto it = d.FindMember(key);
    if (it == d.MemberEnd() || it->value.IsNull()) return std::nullopt;
    if (!it->value.IsInt64()) throw std::runtime_error(std::string("bad ") + key);
    return it->value.GetInt64();
  };
  auto time = [&](const char* key) -> std::optional<std::int64_t> {
    auto it = d.FindMember(key);
    if (it == d.MemberEnd() || it->value.IsNull()) return std::nullopt;
    auto ms = it->value.IsString() ? parse_iso8601(it->value.GetString()) : std::nullopt;
    if (!ms) throw std::runtime_error(std::string("bad ") + key);
    return ms;
  };
  api_key k;
  k.id = text("id");
  k.prefix = text("prefix");
  k.user_id = text("user_id");
  k.name = text("name");
  k.hash = text("hash");
  if (auto a = d.FindMember("agents"); a != d.MemberEnd() && a->value.IsArray())
    for (auto& x : a->value.GetArray())
      if (x.IsString()) k.agents.emplace_back(x.GetString(), x.GetStringLength());
  k.limits.rpm = number("rpm");
  k.limits.tpm = number("tpm");
  k.limits.max_parallel = number("max_parallel");
  k.limits.token_budget = number("token_budget");
  if (auto p = d.FindMember("budget_period"); p != d.MemberEnd() && p->value.IsString())
    k.limits.period = parse_budget_period(p->value.GetString()).value_or(budget_period::none);
  k.expires_at_ms = time("expires_at");
  k.created_at_ms = time("created_at").value_or(0);
  return k;
}

}  // namespace troupe::domain
