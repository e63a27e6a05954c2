#include "domain/chat/session_info.hpp"

#include "domain/core/clock.hpp"
#include "domain/core/json.hpp"
#include "domain/openai/message_codec.hpp"

namespace troupe::domain {

bool matches(const session_query& q, const session_info& s) {
  if (!q.agent_id.empty() && q.agent_id != s.agent_id) return false;
  if (!q.user_id.empty() && q.user_id != s.user_id) return false;
  return true;
}

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_fields(writer& w, const session_info& s) {
  w.Key("id");
  w.String(s.id);
  w.Key("agent_id");
  w.String(s.agent_id);
  w.Key("user_id");
  if (s.user_id.empty())
    w.Null();
  else
    w.String(s.user_id);
  w.Key("created_at");
  w.String(iso8601(s.created_at_ms));
  w.Key("last_activity");
  w.String(iso8601(s.last_activity_ms));
  w.Key("message_count");
  w.Int64(s.message_count);
}

}  // namespace

std::string encode_session_list(const std::vector<session_info>& sessions) {
  json_out out;
  out.w.StartArray();
  for (auto& s : sessions) {
    out.w.StartObject();
    write_fields(out.w, s);
    out.w.EndObject();
  }
  out.w.EndArray();
  return out.str();
}

std::string encode_session_detail(const session_info& s, const message_list& messages) {
  json_out out;
  auto& w = out.w;
  w.StartObject();
  write_fields(w, s);
  w.Key("messages");
  w.StartArray();
  for (auto& m : messages) {
    w.StartObject();
    write_message_members(w, m);
    w.Key("created_at");
    w.String(iso8601(m.created_at_ms));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out.str();
}

}  // namespace troupe::domain
