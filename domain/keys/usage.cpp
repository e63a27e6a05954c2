#include "domain/keys/usage.hpp"

#include <ctime>

#include <fmt/format.h>

#include "domain/core/api_error.hpp"
#include "domain/core/json.hpp"

namespace troupe::domain {

namespace {

const char* group_field(usage_group g) {
  switch (g) {
    case usage_group::day: return "day";
    case usage_group::agent: return "agent_id";
    case usage_group::key: return "key_id";
    case usage_group::user: return "user_id";
    case usage_group::none: break;
  }
  return "";
}

const char* group_name(usage_group g) {
  switch (g) {
    case usage_group::day: return "day";
    case usage_group::agent: return "agent";
    case usage_group::key: return "key";
    case usage_group::user: return "user";
    case usage_group::none: break;
  }
  return "";
}

const std::string& group_of(const usage_entry& e, usage_group g) {
  static const std::string none;
  switch (g) {
    case usage_group::day: return e.day;
    case usage_group::agent: return e.agent_id;
    case usage_group::key: return e.key_id;
    case usage_group::user: return e.user_id;
    case usage_group::none: break;
  }
  return none;
}

void write_counts(json_writer_t& w, const usage_counts& c) {
  w.Key("requests");
  w.Int64(c.requests);
  w.Key("prompt_tokens");
  w.Int64(c.prompt_tokens);
  w.Key("completion_tokens");
  w.Int64(c.completion_tokens);
  w.Key("total_tokens");
  w.Int64(c.total_tokens());
}

void string_or_null(json_writer_t& w, const std::string& s) {
  if (s.empty())
    w.Null();
  else
    w.String(s);
}

}  // namespace

usage_counts& usage_counts::operator+=(const usage_counts& o) {
  requests += o.requests;
  prompt_tokens += o.prompt_tokens;
  completion_tokens += o.completion_tokens;
  return *this;
}

std::string utc_day(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

bool valid_day(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (t[i] < '0' || t[i] > '9') return false;
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (t[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = 12;
  auto secs = timegm(&tm);  // normalises 2026-02-30 to March: then it was no date
  return utc_day(static_cast<std::int64_t>(secs) * 1000) == t;
}

usage_query parse_usage_query(std::string user_id, std::string key_id, std::string agent_id,
                              std::string from, std::string to, std::string_view group_by) {
  usage_query q;
  q.user_id = std::move(user_id);
  q.key_id = std::move(key_id);
  q.agent_id = std::move(agent_id);
  for (auto [value, name] : {std::pair{&from, "from"}, std::pair{&to, "to"}})
    if (!value->empty() && !valid_day(*value))
      throw bad_request(fmt::format("'{}' must be a date like 2026-01-31", name), name);
  if (!from.empty() && !to.empty() && from > to)
    throw bad_request("'from' is after 'to'", "from");
  q.from = std::move(from);
  q.to = std::move(to);
  if (group_by == "day")
    q.group_by = usage_group::day;
  else if (group_by == "agent")
    q.group_by = usage_group::agent;
  else if (group_by == "key")
    q.group_by = usage_group::key;
  else if (group_by == "user")
    q.group_by = usage_group::user;
  else if (!group_by.empty())
    throw bad_request("'group_by' must be day, agent, key or user", "group_by");
  return q;
}

bool matches(const usage_query& q, const usage_entry& e) {
  return (q.user_id.empty() || q.user_id == e.user_id) && (q.key_id.empty() || q.key_id == e.key_id) &&
         (q.agent_id.empty() || q.agent_id == e.agent_id) && (q.from.empty() || e.day >= q.from) &&
         (q.to.empty() || e.day <= q.to);
}

std::vector<usage_total> summarize(const std::vector<usage_entry>& entries, const usage_query& q) {
  std::map<std::string, usage_counts> groups;
  for (auto& e : entries)
    if (matches(q, e)) groups[group_of(e, q.group_by)] += e.counts;
  std::vector<usage_total> out;
  for (auto& [g, c] : groups) out.push_back({g, c});
  return out;
}

std::string encode_usage_report(const usage_query& q, const std::vector<usage_total>& groups) {
  usage_counts total;
  for (auto& g : groups) total += g.counts;
  json_out out;
  auto& w = out.w;
  w.StartObject();
  w.Key("object");
  w.String("usage");
  w.Key("filters");
  w.StartObject();
  for (auto [k, v] : {std::pair{"user_id", &q.user_id}, std::pair{"key_id", &q.key_id},
                      std::pair{"agent_id", &q.agent_id}, std::pair{"from", &q.from},
                      std::pair{"to", &q.to}}) {
    w.Key(k);
    string_or_null(w, *v);
  }
  w.EndObject();
  w.Key("group_by");
  if (q.group_by == usage_group::none)
    w.Null();
  else
    w.String(group_name(q.group_by));
  w.Key("totals");
  w.StartObject();
  write_counts(w, total);
  w.EndObject();
  w.Key("data");
  w.StartArray();
  if (q.group_by != usage_group::none) {
    for (auto& g : groups) {
      w.StartObject();
      w.Key(group_field(q.group_by));
      string_or_null(w, g.group);
      write_counts(w, g.counts);
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  return out.str();
}

void usage_meter::add(std::string_view user_id, std::string_view key_id, std::string_view agent_id,
                      std::int64_t now_ms, const usage_counts& c) {
  row_key k{utc_day(now_ms), std::string(user_id), std::string(key_id), std::string(agent_id)};
  std::lock_guard<std::mutex> g{mu_};
  pending_[std::move(k)] += c;
}

std::vector<usage_entry> usage_meter::drain() {
  std::map<row_key, usage_counts> taken;
  {
    std::lock_guard<std::mutex> g{mu_};
    taken.swap(pending_);
  }
  std::vector<usage_entry> out;
  out.reserve(taken.size());
  for (auto& [k, c] : taken)
    out.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k), c});
  return out;
}

}  // namespace troupe::domain
