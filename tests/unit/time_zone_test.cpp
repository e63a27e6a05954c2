#define BOOST_TEST_MODULE time_zone
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <utility>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "domain/tools/time_zone.hpp"

using namespace troupe::domain;
namespace fs = std::filesystem;

namespace {

// Fixed instants (checked with `TZ=... date -d @N`).
constexpr std::int64_t jan_15_2026_noon_utc = 1768478400;  // 2026-01-15T12:00:00Z
constexpr std::int64_t jul_15_2026_noon_utc = 1784116800;  // 2026-07-15T12:00:00Z
constexpr std::int64_t paris_spring_2026 = 1774746000;     // 2026-03-29T01:00:00Z: CET -> CEST
constexpr std::int64_t paris_autumn_2026 = 1792890000;     // 2026-10-25T01:00:00Z: CEST -> CET

zoned_time at(const std::string& zone, std::int64_t t, const std::string& dir = "/usr/share/zoneinfo") {
  std::string error;
  auto z = time_in_zone(zone, t, error, dir);
  BOOST_TEST_INFO("zone " << zone << " at " << t << ": " << error);
  BOOST_REQUIRE(z.has_value());
  return *z;
}

std::string refused(const std::string& zone, const std::string& dir = "/usr/share/zoneinfo") {
  std::string error;
  auto z = time_in_zone(zone, jan_15_2026_noon_utc, error, dir);
  BOOST_TEST_INFO("zone '" << zone << "'");
  BOOST_TEST(!z.has_value());
  BOOST_TEST(!error.empty());
  return error;
}

bool have_zone(const std::string& zone) { return fs::exists("/usr/share/zoneinfo/" + zone); }

// A scratch zoneinfo directory, removed at the end.
struct scratch_dir {
  fs::path path;
  scratch_dir() {
    std::string tmpl = (fs::temp_directory_path() / "troupe_tz_XXXXXX").string();
    BOOST_REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& bytes) const {
    fs::create_directories((path / name).parent_path());
    std::ofstream out(path / name, std::ios::binary);
    out << bytes;
  }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

BOOST_AUTO_TEST_CASE(utc) {
  auto z = at("UTC", jan_15_2026_noon_utc);
  BOOST_TEST(z.iso == "2026-01-15T12:00:00+00:00");
  BOOST_TEST(z.zone == "UTC");
  BOOST_TEST(z.abbreviation == "UTC");
  BOOST_TEST(z.utc_offset_s == 0);
  BOOST_TEST(at("UTC", 0).iso == "1970-01-01T00:00:00+00:00");
  BOOST_TEST(at("UTC", -1).iso == "1969-12-31T23:59:59+00:00");
  BOOST_TEST(at("UTC", 1234567890).iso == "2009-02-13T23:31:30+00:00");
}

BOOST_AUTO_TEST_CASE(paris_winter_and_summer) {
  auto winter = at("Europe/Paris", jan_15_2026_noon_utc);
  BOOST_TEST(winter.iso == "2026-01-15T13:00:00+01:00");
  BOOST_TEST(winter.abbreviation == "CET");
  BOOST_TEST(winter.utc_offset_s == 3600);
  BOOST_TEST(winter.zone == "Europe/Paris");

  auto summer = at("Europe/Paris", jul_15_2026_noon_utc);
  BOOST_TEST(summer.iso == "2026-07-15T14:00:00+02:00");
  BOOST_TEST(summer.abbreviation == "CEST");
  BOOST_TEST(summer.utc_offset_s == 7200);
}

BOOST_AUTO_TEST_CASE(paris_at_the_transitions) {
  BOOST_TEST(at("Europe/Paris", paris_spring_2026 - 1).iso == "2026-03-29T01:59:59+01:00");
  BOOST_TEST(at("Europe/Paris", paris_spring_2026).iso == "2026-03-29T03:00:00+02:00");
  BOOST_TEST(at("Europe/Paris", paris_autumn_2026 - 1).iso == "2026-10-25T02:59:59+02:00");
  BOOST_TEST(at("Europe/Paris", paris_autumn_2026).iso == "2026-10-25T02:00:00+01:00");
  BOOST_TEST(at("Europe/Paris", paris_autumn_2026).abbreviation == "CET");
}

BOOST_AUTO_TEST_CASE(southern_hemisphere) {
  // Sydney: daylight saving in January, standard time in July.
  auto jan = at("Australia/Sydney", jan_15_2026_noon_utc);
  BOOST_TEST(jan.iso == "2026-01-15T23:00:00+11:00");
  BOOST_TEST(jan.abbreviation == "AEDT");
  BOOST_TEST(jan.utc_offset_s == 11 * 3600);
  auto jul = at("Australia/Sydney", jul_15_2026_noon_utc);
  BOOST_TEST(jul.iso == "2026-07-15T22:00:00+10:00");
  BOOST_TEST(jul.abbreviation == "AEST");
  BOOST_TEST(jul.utc_offset_s == 10 * 3600);
}

BOOST_AUTO_TEST_CASE(offsets_with_minutes_and_negative) {
  if (have_zone("Asia/Kolkata")) {
    auto z = at("Asia/Kolkata", jan_15_2026_noon_utc);
    BOOST_TEST(z.iso == "2026-01-15T17:30:00+05:30");
    BOOST_TEST(z.utc_offset_s == 19800);
  }
  if (have_zone("America/St_Johns")) {
    auto z = at("America/St_Johns", jan_15_2026_noon_utc);
    BOOST_TEST(z.iso == "2026-01-15T08:30:00-03:30");
    BOOST_TEST(z.utc_offset_s == -12600);
    BOOST_TEST(z.abbreviation == "NST");
  }
  if (have_zone("America/Sao_Paulo")) {
    auto z = at("America/Sao_Paulo", jan_15_2026_noon_utc);
    BOOST_TEST(z.iso == "2026-01-15T09:00:00-03:00");
    BOOST_TEST(z.abbreviation == "-03");
  }
  // The date changes with the offset.
  if (have_zone("Pacific/Kiritimati"))
    BOOST_TEST(at("Pacific/Kiritimati", 1768521600 - 1).iso == "2026-01-16T13:59:59+14:00");
}

BOOST_AUTO_TEST_CASE(unknown_zone_refused) {
  refused("Mars/Olympus_Mons");
  refused("Europe/Pariss");
  refused("europe/paris_x");
  refused("Europe");  // a directory, not a zone
  auto error = refused("Nowhere/City");
  BOOST_TEST(error.find("Nowhere/City") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(path_traversal_and_odd_names_refused) {
  for (std::string zone :
       {"../etc/passwd", "/etc/passwd", "Europe/../../x", "Europe/../Paris", "..", ".", "./UTC",
        "Europe/Paris/..", "", "Europe Paris", "Europe\\Paris", "UTC\n", "Europe/Paris;ls",
        "~/x", "Europe/Paris%00", "..\\..\\etc\\passwd", "UTC*", "Europe/Par?s"}) {
    refused(zone);
  }
  refused(std::string("Europe/Paris\0/../../etc/passwd", 30));
  refused(std::string("UTC\0", 4));
  refused(std::string(65, 'A'));
  refused(std::string(10000, '/'));
  refused("\xC3\xA9t\xC3\xA9");
}

BOOST_AUTO_TEST_CASE(files_that_are_not_tzif_refused) {
  scratch_dir dir;
  dir.write("Empty", "");
  dir.write("Text", "not a time zone\n");
  dir.write("Short", "TZif2");
  dir.write("Header/Only", std::string("TZif2") + std::string(39, '\0'));
  refused("Empty", dir.path.string());
  refused("Text", dir.path.string());
  refused("Short", dir.path.string());
  refused("Header/Only", dir.path.string());
  refused("Missing", dir.path.string());
}

BOOST_AUTO_TEST_CASE(truncated_and_corrupt_files_without_crash) {
  auto paris = read_file("/usr/share/zoneinfo/Europe/Paris");
  BOOST_REQUIRE(paris.size() > 100u);
  scratch_dir dir;
  // Every prefix of a real file: a value or an error, never a crash.
  for (std::size_t n = 0; n < paris.size(); n += 7) {
    dir.write("Cut", paris.substr(0, n));
    std::string error;
    auto z = time_in_zone("Cut", jul_15_2026_noon_utc, error, dir.path.string());
    BOOST_TEST((z.has_value() || !error.empty()));
  }
  // Huge and negative counts in either header.
  std::size_t second = paris.find("TZif", 4);
  BOOST_REQUIRE(second != std::string::npos);
  for (std::size_t header : {std::size_t{0}, second})
    for (int field = 0; field < 6; ++field)
      for (std::string value : {std::string("\xFF\xFF\xFF\xFF"), std::string("\x7F\xFF\xFF\xFF"),
                                std::string("\x80\x00\x00\x00", 4), std::string("\xFF\xFF\xFF\xF0")}) {
        auto bad = paris;
        bad.replace(header + 20 + 4 * field, 4, value);
        dir.write("Bad", bad);
        std::string error;
        auto z = time_in_zone("Bad", jul_15_2026_noon_utc, error, dir.path.string());
        BOOST_TEST_INFO("header at " << header << ", field " << field);
        BOOST_TEST((z.has_value() || !error.empty()));
      }
}

BOOST_AUTO_TEST_CASE(zoneinfo_dir_is_honoured) {
  scratch_dir dir;
  dir.write("My/Zone", read_file("/usr/share/zoneinfo/Europe/Paris"));
  auto z = at("My/Zone", jul_15_2026_noon_utc, dir.path.string());
  BOOST_TEST(z.iso == "2026-07-15T14:00:00+02:00");
  BOOST_TEST(z.zone == "My/Zone");
  refused("Europe/Paris", dir.path.string());  // not in that directory
}

// Past the last transition a TZif file lists, the rule in its footer (a
// POSIX TZ string) gives the time: 2037 for "fat" files, right after the
// last change of rules for "slim" ones (zic's default since 2020).
BOOST_AUTO_TEST_CASE(after_the_last_listed_transition) {
  constexpr std::int64_t jan_15_2040 = 2210241600;  // 2040-01-15T12:00:00Z
  constexpr std::int64_t jul_15_2040 = 2225966400;  // 2040-07-15T12:00:00Z
  BOOST_TEST(at("Europe/Paris", jan_15_2040).iso == "2040-01-15T13:00:00+01:00");
  BOOST_TEST(at("Europe/Paris", jul_15_2040).iso == "2040-07-15T14:00:00+02:00");
  BOOST_TEST(at("Europe/Paris", jul_15_2040).abbreviation == "CEST");
  BOOST_TEST(at("Australia/Sydney", jan_15_2040).iso == "2040-01-15T23:00:00+11:00");
  BOOST_TEST(at("Australia/Sydney", jul_15_2040).iso == "2040-07-15T22:00:00+10:00");
}

BOOST_AUTO_TEST_CASE(slim_tzif_files) {
  if (std::system("command -v zic >/dev/null 2>&1") != 0) {
    BOOST_TEST_MESSAGE("zic not installed: slim TZif files not tested");
    return;
  }
  scratch_dir dir;
  dir.write("src",
            "Rule EU 1981 max - Mar lastSun 1:00u 1:00 S\n"
            "Rule EU 1996 max - Oct lastSun 1:00u 0 -\n"
            "Zone Test/Paris 1:00 EU CE%sT\n"
            "Rule AN 2008 max - Apr Sun>=1 2:00s 0 S\n"
            "Rule AN 2008 max - Oct Sun>=1 2:00s 1:00 D\n"
            "Zone Test/Sydney 10:00 AN AE%sT\n"
            "Zone Test/Kolkata 5:30 - IST\n");
  auto out = dir.path / "out";
  std::string cmd = "zic -b slim -d '" + out.string() + "' '" + (dir.path / "src").string() + "'";
  BOOST_REQUIRE(std::system(cmd.c_str()) == 0);
  auto d = out.string();
  BOOST_TEST(at("Test/Paris", jan_15_2026_noon_utc, d).iso == "2026-01-15T13:00:00+01:00");
  BOOST_TEST(at("Test/Paris", jan_15_2026_noon_utc, d).abbreviation == "CET");
  BOOST_TEST(at("Test/Paris", jul_15_2026_noon_utc, d).iso == "2026-07-15T14:00:00+02:00");
  BOOST_TEST(at("Test/Paris", jul_15_2026_noon_utc, d).abbreviation == "CEST");
  BOOST_TEST(at("Test/Paris", paris_spring_2026 - 1, d).iso == "2026-03-29T01:59:59+01:00");
  BOOST_TEST(at("Test/Paris", paris_spring_2026, d).iso == "2026-03-29T03:00:00+02:00");
  BOOST_TEST(at("Test/Paris", paris_autumn_2026 - 1, d).iso == "2026-10-25T02:59:59+02:00");
  BOOST_TEST(at("Test/Paris", paris_autumn_2026, d).iso == "2026-10-25T02:00:00+01:00");
  BOOST_TEST(at("Test/Sydney", jan_15_2026_noon_utc, d).iso == "2026-01-15T23:00:00+11:00");
  BOOST_TEST(at("Test/Sydney", jan_15_2026_noon_utc, d).abbreviation == "AEDT");
  BOOST_TEST(at("Test/Sydney", jul_15_2026_noon_utc, d).iso == "2026-07-15T22:00:00+10:00");
  BOOST_TEST(at("Test/Kolkata", jan_15_2026_noon_utc, d).iso == "2026-01-15T17:30:00+05:30");
}

namespace {

// What the C library says (it applies the footer too): offset and abbreviation.
std::pair<long, std::string> libc_says(const std::string& zone, std::int64_t t) {
  setenv("TZ", (":" + zone).c_str(), 1);
  tzset();
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  return {tm.tm_gmtoff, tm.tm_zone ? tm.tm_zone : ""};
}

const char* const rule_zones[] = {
    "Europe/Paris",      "Australia/Sydney", "America/New_York", "America/Santiago",
    "Pacific/Auckland",  "Europe/Dublin",    "America/Nuuk",     "Pacific/Chatham",
    "Asia/Tehran",       "Africa/Casablanca", "America/Sao_Paulo", "Asia/Kolkata",
    "America/St_Johns",  "Europe/London",    "UTC"};

}  // namespace

// The footer rules (negative DST in Dublin, times of -1 and 24 hours in Nuuk
// and Santiago, 45 minutes in Chatham) against the C library, past 2037.
BOOST_AUTO_TEST_CASE(footer_rules_agree_with_libc) {
  for (auto* zone : rule_zones) {
    if (!have_zone(zone)) continue;
    // 2038-01-01 to 2060, every 3 days and 1 hour and 7 minutes, plus each transition's neighbours.
    for (std::int64_t t = 2145916800; t < 2871763200; t += 3 * 86400 + 3600 + 420) {
      auto z = at(zone, t);
      auto [offset, abbreviation] = libc_says(zone, t);
      BOOST_TEST_INFO(zone << " at " << t);
      BOOST_TEST(z.utc_offset_s == offset);
      BOOST_TEST_INFO(zone << " at " << t);
      BOOST_TEST(z.abbreviation == abbreviation);
    }
  }
  unsetenv("TZ");
  tzset();
}

// Slim files built from the system's own tzdata source agree with its fat
// files on 2000-2037, transitions included.
BOOST_AUTO_TEST_CASE(slim_files_agree_with_fat_ones) {
  if (std::system("command -v zic >/dev/null 2>&1") != 0 || !fs::exists("/usr/share/zoneinfo/tzdata.zi")) {
    BOOST_TEST_MESSAGE("zic or tzdata.zi missing: not tested");
    return;
  }
  scratch_dir dir;
  std::string cmd = "zic -b slim -d '" + dir.path.string() + "' /usr/share/zoneinfo/tzdata.zi 2>/dev/null";
  BOOST_REQUIRE(std::system(cmd.c_str()) == 0);
  for (auto* zone : rule_zones) {
    if (!have_zone(zone) || !fs::exists(dir.path / zone)) continue;
    std::vector<std::int64_t> times;
    for (std::int64_t t = 946684800; t < 2145916800; t += 86400 * 5 + 3600 * 5 + 60) times.push_back(t);
    // Around each 2026 change: a second before, at, after.
    for (std::int64_t t = 1767225600; t < 1798761600; t += 3600) {
      auto before = at(zone, t - 1), after = at(zone, t);
      if (before.utc_offset_s != after.utc_offset_s)
        for (std::int64_t d : {-3601, -1, 0, 1, 3600}) times.push_back(t + d);
    }
    for (auto t : times) {
      auto fat = at(zone, t);
      auto slim = at(zone, t, dir.path.string());
      BOOST_TEST_INFO(zone << " at " << t);
      BOOST_TEST(slim.iso == fat.iso);
      BOOST_TEST_INFO(zone << " at " << t);
      BOOST_TEST(slim.abbreviation == fat.abbreviation);
    }
  }
}
