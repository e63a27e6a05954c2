#define BOOST_TEST_MODULE rendezvous
#include "domain/cluster/rendezvous.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <map>

using namespace troupe;

namespace {

std::vector<std::string> nodes(int n) {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) out.push_back("10.0.0." + std::to_string(i) + ":4100");
  return out;
}

std::vector<std::string> keys(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("sess-" + std::to_string(i));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_owner_is_stable_and_independent_of_member_order) {
  auto members = nodes(5);
  auto reversed = members;
  std::reverse(reversed.begin(), reversed.end());
  for (auto& k : keys(1000)) {
    auto a = domain::rendezvous_owner(k, members);
    BOOST_REQUIRE(a);
    BOOST_TEST(*a == *domain::rendezvous_owner(k, members));
    BOOST_TEST(*a == *domain::rendezvous_owner(k, reversed));
  }
  // Pinned values: the weight must not change across builds (nodes of two
  // builds must agree on owners).
  BOOST_TEST(domain::rendezvous_weight("s1", "a") == 10740972833445698921ull);
  BOOST_TEST(*domain::rendezvous_owner("sess-42", {"n1", "n2", "n3"}) == "n1");
  BOOST_TEST(domain::rendezvous_weight("s1", "a") != domain::rendezvous_weight("s1", "b"));
  BOOST_TEST(domain::rendezvous_weight("bc", "a") != domain::rendezvous_weight("c", "ab"));
  BOOST_TEST(!domain::rendezvous_owner("s", {}));
  BOOST_TEST(*domain::rendezvous_owner("s", {"only"}) == "only");
}

BOOST_AUTO_TEST_CASE(keys_spread_evenly) {
  auto members = nodes(5);
  std::map<std::string, int> per;
  const int n = 20000;
  for (auto& k : keys(n)) ++per[*domain::rendezvous_owner(k, members)];
  BOOST_TEST(per.size() == 5u);
  for (auto& [m, c] : per) BOOST_TEST((c > n / 5 * 0.9 && c < n / 5 * 1.1), m << ": " << c);
}

BOOST_AUTO_TEST_CASE(a_join_moves_about_one_nth_and_only_to_the_new_member) {
  auto before = nodes(4);
  auto after = nodes(5);
  const int n = 20000;
  int moved = 0;
  for (auto& k : keys(n)) {
    auto a = *domain::rendezvous_owner(k, before), b = *domain::rendezvous_owner(k, after);
    if (a != b) {
      ++moved;
      BOOST_TEST(b == after.back());
    }
  }
  BOOST_TEST((moved > n / 5 * 0.9 && moved < n / 5 * 1.1), moved);
}

BOOST_AUTO_TEST_CASE(a_leave_moves_only_the_keys_of_the_leaving_member) {
  auto before = nodes(5);
  auto after = before;
  auto gone = after[2];
  after.erase(after.begin() + 2);
  int moved = 0;
  for (auto& k : keys(20000)) {
    auto a = *domain::rendezvous_owner(k, before), b = *domain::rendezvous_owner(k, after);
    if (a != gone) BOOST_TEST(a == b);
    if (a != b) ++moved;
  }
  BOOST_TEST(moved > 0);
}
