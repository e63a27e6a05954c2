#include "domain/tools/time_zone.hpp"

#include <cctype>
#include <ctime>
#include <fstream>
#include <iterator>
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
  std::vector<unsigned char> d((std::istreambuf_iterator<char>(in)), {});
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
  return z;
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
  // type before any; after the last, the last one).
  std::size_t type = 0;
  for (std::size_t i = 0; i < z->times.size() && z->times[i] <= unix_s; ++i) type = z->index[i];
  auto& t = z->types[type];
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
