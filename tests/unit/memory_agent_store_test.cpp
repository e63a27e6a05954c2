#define BOOST_TEST_MODULE memory_agent_store
#include <boost/test/unit_test.hpp>

#include "storage/memory_agent_store.hpp"

using namespace troupe;
using storage::write_status;

namespace {
domain::agent_config agent(std::string id, std::string name) {
  domain::agent_config a;
  a.id = std::move(id);
  a.name = std::move(name);
  a.template_id = "chat";
  return a;
}
}  // namespace

BOOST_AUTO_TEST_CASE(ids_and_names_are_unique) {
  storage::memory_agent_store s;
  BOOST_TEST((s.insert(agent("a", "A")) == write_status::ok));
  BOOST_TEST((s.insert(agent("a", "B")) == write_status::duplicate_id));
  BOOST_TEST((s.insert(agent("b", "A")) == write_status::duplicate_name));
  BOOST_TEST((s.insert(agent("b", "B")) == write_status::ok));
  BOOST_TEST((s.update(agent("b", "A")) == write_status::duplicate_name));
  BOOST_TEST((s.update(agent("b", "C")) == write_status::ok));
  BOOST_TEST((s.insert(agent("c", "B")) == write_status::ok));  // B was freed by the rename
  BOOST_TEST((s.update(agent("zz", "Z")) == write_status::not_found));
}

BOOST_AUTO_TEST_CASE(list_keeps_creation_order_and_filters) {
  storage::memory_agent_store s;
  for (int i = 0; i < 4; ++i) {
    auto a = agent("id" + std::to_string(i), "n" + std::to_string(i));
    if (i == 2) a.status = domain::agent_status::inactive;
    s.insert(a);
  }
  s.update(agent("id0", "renamed"));  // updates keep the position
  domain::agent_query q;
  auto all = s.list(q);
  BOOST_REQUIRE(all.size() == 4u);
  BOOST_TEST(all[0].name == "renamed");
  q.active_only = true;
  BOOST_TEST(s.list(q).size() == 3u);
  q.offset = 2;
  auto page = s.list(q);
  BOOST_REQUIRE(page.size() == 1u);
  BOOST_TEST(page[0].id == "id3");
  BOOST_TEST(s.remove("id1"));
  BOOST_TEST(!s.get("id1"));
  BOOST_TEST(s.count() == 3u);
}
