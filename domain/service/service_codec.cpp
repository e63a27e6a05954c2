#include "domain/service/service_codec.hpp"

#include "domain/core/clock.hpp"
#include "domain/core/json.hpp"
#include "domain/agents/templates.hpp"

namespace troupe::domain {

namespace {
constexpr const char* schema_version = "1.0.0";
constexpr const char* schema_updated = "2026-11-25T00:00:00Z";

void write_time_or_null(rapidjson::Writer<rapidjson::StringBuffer>& w, std::int64_t ms) {
  if (ms == 0)
    w.Null();
  else
    w.String(iso8601(ms));
}

// A storage spec as health shows it: a PostgreSQL URI's password never leaves.
std::string without_password(std::string spec) {
  auto scheme = spec.find("://");
  if (scheme != std::string::npos) {
    auto start = scheme + 3;
    auto end = spec.find_first_of("/?", start);
    auto at = spec.rfind('@', end == std::string::npos ? std::string::npos : end);
    if (at != std::string::npos && at > start) {
      auto colon = spec.find(':', start);
      if (colon < at) spec.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (auto p = spec.find("password="); p != std::string::npos; p = spec.find("password=", p + 1)) {
    auto v = p + 9, amp = spec.find('&', v);
    spec.replace(v, amp == std::string::npos ? std::string::npos : amp - v, "***");
  }
  return spec;
}

void write_outcomes(rapidjson::Writer<rapidjson::StringBuffer>& w, const component_health& c) {
  w.Key("last_error");
  if (c.last_error.empty())
    w.Null();
  else
    w.String(c.last_error);
  w.Key("last_error_at");
  write_time_or_null(w, c.last_error_ms);
  w.Key("last_success_at");
  write_time_or_null(w, c.last_success_ms);
}

void write_provider(rapidjson::Writer<rapidjson::StringBuffer>& w, const provider_health& p) {
  w.StartObject();
  w.Key("type");
  w.String(p.type);
  w.Key("status");
  if (!p.implemented)
    w.String("not_implemented");
  else
    w.String(p.health.failing() ? "error" : "ok");
  write_outcomes(w, p.health);
  w.EndObject();
}
}  // namespace

std::string encode_root() {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("service");
  w.String("troupe");
  w.Key("version");
  w.String(TROUPE_VERSION);
  w.Key("api");
  w.String("/v1");
  w.EndObject();
  return out.str();
}

std::string encode_ping() { return R"({"status":"ok","message":"pong"})"; }

std::string encode_health(const health_view& h) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  // Serving, but what it stores now fails: a 503 per write until it recovers.
  bool storage_failing = h.storage_health.failing();
  auto storage = h.storage_health;
  if (!storage_failing) storage.last_error.clear(), storage.last_error_ms = 0;
  w.Key("status");
  w.String(storage_failing ? "degraded" : "healthy");
  w.Key("version");
  w.String(TROUPE_VERSION);
  w.Key("uptime_seconds");
  w.Double(h.uptime_seconds);
  w.Key("checks");
  w.StartObject();
  w.Key("actors");
  w.String("ok");
  w.Key("storage");
  w.StartObject();
  w.Key("status");
  w.String(storage_failing ? "error" : "ok");
  w.Key("backend");
  w.String(without_password(h.storage));
  write_outcomes(w, storage);
  w.Key("stored_sessions");
  w.Uint64(h.counts.stored_sessions);
  w.EndObject();
  w.Key("providers");
  w.StartObject();
  for (auto& p : h.providers) {
    w.Key(p.name.c_str(), static_cast<rapidjson::SizeType>(p.name.size()));
    write_provider(w, p);
  }
  w.EndObject();
  w.EndObject();
  w.Key("metrics");
  w.StartObject();
  w.Key("agents");
  w.Uint64(h.counts.agents);
  w.Key("live_sessions");
  w.Uint64(h.counts.live_sessions);
  w.Key("max_live_sessions");
  w.Uint64(h.max_live_sessions);
  w.Key("passivated_sessions");
  w.Uint64(h.counts.passivated_sessions);
  w.Key("stored_sessions");
  w.Uint64(h.counts.stored_sessions);
  w.Key("live_agent_actors");
  w.Uint64(h.counts.live_agent_actors);
  w.Key("total_completions");
  w.Uint64(h.counts.total_completions);
  w.Key("inflight_requests");
  w.Int64(h.inflight_requests);
  w.EndObject();
  if (h.cluster) {
    w.Key("cluster");
    w.StartObject();
    w.Key("node_id");
    w.String(h.cluster->self);
    w.Key("cluster_name");
    w.String(h.cluster->cluster_name);
    w.Key("members");
    w.Uint64(h.cluster->members.size());
    w.Key("live_members");
    w.StartArray();
    for (auto& id : h.cluster->live) w.String(id);
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  return out.str();
}

std::string encode_schema(const schema_limits& limits, const std::vector<std::string>& provider_types) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("version");
  w.String(schema_version);
  w.Key("lastUpdated");
  w.String(schema_updated);
  w.Key("supportedAgentTemplates");
  w.StartArray();
  for (auto& t : all_templates()) {
    w.StartObject();
    w.Key("template_id");
    w.String(t.id);
    w.Key("template_name");
    w.String(t.name);
    w.Key("version");
    w.String(t.version);
    w.Key("configSchema");
    write_json_schema(w, t.config);
    w.EndObject();
  }
  w.EndArray();
  w.Key("capabilities");
  w.StartObject();
  w.Key("streaming");
  w.Bool(true);
  w.Key("sessions");
  w.Bool(true);
  w.Key("openai_compatible");
  w.Bool(true);
  w.Key("tools");
  w.Bool(false);
  w.Key("provider_types");
  w.StartArray();
  for (auto& p : provider_types) w.String(p);
  w.EndArray();
  w.EndObject();
  w.Key("limits");
  w.StartObject();
  w.Key("max_body_bytes");
  w.Uint64(limits.max_body_bytes);
  w.Key("max_config_bytes");
  w.Uint64(limits.max_config_bytes);
  w.Key("max_name_length");
  w.Int(100);
  w.Key("max_history_length");
  w.Int(1000);
  w.Key("turn_timeout_s");
  w.Double(limits.turn_timeout_s);
  w.EndObject();
  w.EndObject();
  return out.str();
}

}  // namespace troupe::domain
