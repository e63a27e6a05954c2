#include "domain/tools/time_zone.hpp"

#include <cctype>
#include <ctime>
#include <exception>
#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace troupe::domain {

namespace {

struct tzif {
  std::vector<std::int64_t> times;   // transitions
  std::vector<std::uint8_t> index;   // type of each transition
  struct type {
    std::int32_t offset;
    std::string abbreviation;
  };
  std::vector<type> types;
  std::string footer;  // version 2+: the POSIX TZ rule after the last transition
};

std::int64_t be(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  if (n == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

bool valid_zone_name(std::string_view zone) {
  if (zone.empty() || zone.size() > 64 || zone.front() == '/' || zone.find("..") != std::string_view::npos)
    return false;
  for (unsigned char c : zone)
    if (!std::isalnum(c) && c != '/' && c != '_' && c != '-' && c != '+') return false;
  return true;
}

// Reads the 64-bit (version 2+) part of a TZif file, or the 32-bit one of a version 1 file.
std::optional<tzif> read_tzif(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<unsigned char> d;
  try {  // libstdc++ throws on a read error (a directory: EISDIR)
    d.assign(std::istreambuf_iterator<char>(in), {});
  } catch (const std::exception&) {
    return std::nullopt;
  }
  auto header = [&](std::size_t at, std::int64_t (&n)[6]) {
    if (d.size() < at + 44 || d[at] != 'T' || d[at + 1] != 'Z' || d[at + 2] != 'i' || d[at + 3] != 'f')
      return false;
    for (int i = 0; i < 6; ++i) n[i] = be(&d[at + 20 + 4 * i], 4);
    return true;
  };
  std::int64_t n[6];  // isutcnt isstdcnt leapcnt timecnt typecnt charcnt
  if (!header(0, n)) return std::nullopt;
  std::size_t at = 44;
  int width = 4;
  if (d[4] >= '2') {  // skip the 32-bit block to the 64-bit one
    at += n[3] * 5 + n[4] * 6 + n[5] + n[2] * 8 + n[1] + n[0];
    if (!header(at, n)) return std::nullopt;
    at += 44;
    width = 8;
  }
  std::size_t need = n[3] * (width + 1) + n[4] * 6 + n[5];
  if (d.size() < at + need || n[4] <= 0) return std::nullopt;
  tzif z;
  for (std::int64_t i = 0; i < n[3]; ++i) z.times.push_back(be(&d[at + i * width], width));
  at += n[3] * width;
  for (std::int64_t i = 0; i < n[3]; ++i) z.index.push_back(d[at + i]);
  at += n[3];
  auto chars = at + n[4] * 6;
  for (std::int64_t i = 0; i < n[4]; ++i) {
    auto* t = &d[at + i * 6];
    std::string abbr;
    for (auto c = chars + t[5]; c < chars + n[5] && d[c]; ++c) abbr += static_cast<char>(d[c]);
    z.types.push_back({static_cast<std::int32_t>(be(t, 4)), abbr});
  }
  for (auto i : z.index)
    if (i >= z.types.size()) return std::nullopt;
  if (width == 8) {  // the footer: "\nCET-1CEST,M3.5.0,M10.5.0/3\n"
    std::size_t f = at + n[4] * 6 + n[5] + n[2] * 12 + n[1] + n[0];
    if (f < d.size() && d[f] == '\n')
      for (auto c = f + 1; c < d.size() && d[c] != '\n'; ++c) z.footer += static_cast<char>(d[c]);
  }
  return z;
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap_year(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// A POSIX TZ string as a TZif footer has it (RFC 8536 section 3.3).
struct posix_rule {
  tzif::type standard, daylight;
  bool has_daylight = false;
  struct date {
    char kind = 'M';  // 'M' month.week.day, 'J' julian 1-365 without Feb 29, 'N' day 0-365
    int a = 0, b = 0, c = 0;
    std::int32_t time = 7200;  // local time of the change
  } start, end;

  // The UTC instant of `d` in year `y`, told in the local time `offset` (the one in force before it).
  std::int64_t at(const date& d, std::int64_t y, std::int32_t offset) const {
    std::int64_t day = days_from_civil(y, 1, 1);
    if (d.kind == 'J') day += d.a - 1 + (leap_year(y) && d.a >= 60);
    else if (d.kind == 'N') day += d.a;
    else {
      static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      std::int64_t first = days_from_civil(y, static_cast<unsigned>(d.a), 1);
      int first_wday = static_cast<int>(((first % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
      int mday = 1 + (d.c - first_wday + 7) % 7 + 7 * (d.b - 1);
      int length = month_days[d.a - 1] + (d.a == 2 && leap_year(y));
      while (mday > length) mday -= 7;
      day = first + mday - 1;
    }
    return day * 86400 + d.time - offset;
  }

  const tzif::type& in_force(std::int64_t t) const {
    if (!has_daylight) return standard;
    std::int64_t days = t / 86400 - (t % 86400 < 0);
    // The UTC year of t (civil_from_days, year only).
    std::int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    auto doe = static_cast<unsigned>(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (mp >= 10);
    auto s = at(start, y, standard.offset), e = at(end, y, daylight.offset);
    bool dst = s < e ? (t >= s && t < e) : !(t >= e && t < s);  // south: daylight across new year
    return dst ? daylight : standard;
  }
};

std::optional<posix_rule> parse_posix(std::string_view s) {
  std::size_t i = 0;
  auto name = [&](std::string& out) {
    if (i < s.size() && s[i] == '<') {
      auto close = s.find('>', i);
      if (close == std::string_view::npos) return false;
      out = std::string(s.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) out += s[i++];
    }
    return !out.empty();
  };
  auto number = [&](int& out) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && out < 100000)
      out = out * 10 + (s[i++] - '0');
    return true;
  };
  auto clock_time = [&](std::int32_t& out) {  // [+-]hh[:mm[:ss]]
    int sign = 1;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
    int h = 0, m = 0, sec = 0;
    if (!number(h) || h > 167) return false;
    if (i < s.size() && s[i] == ':' && (++i, !number(m))) return false;
    if (i < s.size() && s[i] == ':' && (++i, !number(sec))) return false;
    out = sign * (h * 3600 + m * 60 + sec);
    return true;
  };
  auto date = [&](posix_rule::date& d) {
    if (i >= s.size() || s[i++] != ',') return false;
    if (i < s.size() && s[i] == 'M') {
      ++i;
      d.kind = 'M';
      if (!number(d.a) || i >= s.size() || s[i++] != '.' || !number(d.b) || i >= s.size() ||
          s[i++] != '.' || !number(d.c) || d.a < 1 || d.a > 12 || d.b < 1 || d.b > 5 || d.c > 6)
        return false;
    } else if (i < s.size() && s[i] == 'J') {
      ++i;
      d.kind = 'J';
      if (!number(d.a) || d.a < 1 || d.a > 365) return false;
    } else {
      d.kind = 'N';
      if (!number(d.a) || d.a > 365) return false;
    }
    if (i < s.size() && s[i] == '/') return ++i, clock_time(d.time);
    return true;
  };
  posix_rule r;
  std::int32_t west = 0;
  if (!name(r.standard.abbreviation) || !clock_time(west)) return std::nullopt;
  r.standard.offset = -west;
  if (i == s.size()) return r;
  if (!name(r.daylight.abbreviation)) return std::nullopt;
  r.daylight.offset = r.standard.offset + 3600;
  if (i < s.size() && s[i] != ',') {
    if (!clock_time(west)) return std::nullopt;
    r.daylight.offset = -west;
  }
  if (!date(r.start) || !date(r.end) || i != s.size()) return std::nullopt;  // no default rules
  r.has_daylight = true;
  return r;
}

}  // namespace

std::optional<zoned_time> time_in_zone(std::string_view zone, std::int64_t unix_s,
                                       std::string& error, const std::string& zoneinfo_dir) {
  if (!valid_zone_name(zone)) {
    error = fmt::format("'{}' is not an IANA time zone name", zone);
    return std::nullopt;
  }
  auto z = read_tzif(zoneinfo_dir + "/" + std::string(zone));
  if (!z) {
    error = fmt::format("unknown time zone '{}'", zone);
    return std::nullopt;
  }
  // The type in force: the last transition at or before now (the first
  // type before any; after the last, the footer rule below, else the last one).
  std::size_t type = 0;
  for (std::size_t i = 0; i < z->times.size() && z->times[i] <= unix_s; ++i) type = z->index[i];
  const tzif::type* in_force = &z->types[type];
  // After the last transition listed (slim files list few), the footer's rule.
  std::optional<posix_rule> rule;
  if ((z->times.empty() || unix_s >= z->times.back()) && (rule = parse_posix(z->footer)))
    in_force = &rule->in_force(unix_s);
  auto& t = *in_force;
  std::time_t local = static_cast<std::time_t>(unix_s + t.offset);
  std::tm tm{};
  gmtime_r(&local, &tm);
  auto off = std::abs(t.offset);
  zoned_time out;
  out.iso = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        t.offset < 0 ? '-' : '+', off / 3600, off % 3600 / 60);
  out.zone = std::string(zone);
  out.abbreviation = t.abbreviation;
  out.utc_offset_s = t.offset;
  return out;
}

}  // namespace troupe::domain
