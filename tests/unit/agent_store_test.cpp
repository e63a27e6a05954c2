#define BOOST_TEST_MODULE agent_store
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include "storage/memory_agent_store.hpp"
#include "storage/storage_factory.hpp"
#include "test_support.hpp"
#include "pg_server.hpp"

using namespace troupe;
using storage::write_status;

namespace {

domain::agent_config agent(std::string id, std::string name) {
  domain::agent_config a;
  a.id = std::move(id);
  a.name = std::move(name);
  a.template_id = "chat";
  a.created_at_ms = a.updated_at_ms = 1764057600123;
  return a;
}

struct memory_backend {
  std::unique_ptr<storage::agent_store> open() { return std::make_unique<storage::memory_agent_store>(); }
};
struct sqlite_backend {
  testing::temp_dir dir;
  std::unique_ptr<storage::agent_store> open() { return storage::open_storage("sqlite:" + dir.file("a.db")).agents; }
};
#ifdef TROUPE_PG_BINDIR
struct postgres_backend {
  std::string spec = testing::pg_server::shared().new_database();
  std::unique_ptr<storage::agent_store> open() { return storage::open_storage(spec).agents; }
};
using backends = boost::mpl::list<memory_backend, sqlite_backend, postgres_backend>;
#else
using backends = boost::mpl::list<memory_backend, sqlite_backend>;
#endif

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(ids_and_names_are_unique, B, backends) {
  B b;
  auto s = b.open();
  BOOST_TEST((s->insert(agent("a", "A")) == write_status::ok));
  BOOST_TEST((s->insert(agent("a", "B")) == write_status::duplicate_id));
  BOOST_TEST((s->insert(agent("b", "A")) == write_status::duplicate_name));
  BOOST_TEST((s->insert(agent("b", "B")) == write_status::ok));
  BOOST_TEST((s->update(agent("b", "A")) == write_status::duplicate_name));
  BOOST_TEST((s->update(agent("b", "C")) == write_status::ok));
  BOOST_TEST((s->insert(agent("c", "B")) == write_status::ok));  // B was freed by the rename
  BOOST_TEST((s->update(agent("zz", "Z")) == write_status::not_found));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(list_keeps_creation_order_and_filters, B, backends) {
  B b;
  auto s = b.open();
  for (int i = 0; i < 4; ++i) {
    auto a = agent("id" + std::to_string(i), "n" + std::to_string(i));
    if (i == 2) a.status = domain::agent_status::inactive;
    if (i == 3) a.template_id = "simple-test";
    s->insert(a);
  }
  s->update(agent("id0", "renamed"));  // updates keep the position
  domain::agent_query q;
  auto all = s->list(q);
  BOOST_REQUIRE(all.size() == 4u);
  BOOST_TEST(all[0].name == "renamed");
  q.active_only = true;
  BOOST_TEST(s->list(q).size() == 3u);
  q.offset = 2;
  auto page = s->list(q);
  BOOST_REQUIRE(page.size() == 1u);
  BOOST_TEST(page[0].id == "id3");
  domain::agent_query by_template;
  by_template.template_id = "simple-test";
  BOOST_TEST(s->list(by_template).size() == 1u);
  BOOST_TEST(s->remove("id1"));
  BOOST_TEST(!s->remove("id1"));
  BOOST_TEST(!s->get("id1"));
  BOOST_TEST(s->count() == 3u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(every_field_comes_back, B, backends) {
  B b;
  auto s = b.open();
  auto a = agent("full", "Full");
  a.description = "d";
  a.system_prompt = "sp";
  a.avatar_url = "u";
  a.type = "t";
  a.llm_config_id = "test";
  a.agent_line_id = "l";
  a.version_type = "v";
  a.version_number_json = "\"1.2\"";
  a.owner_id = "o";
  a.status = domain::agent_status::error;
  a.conversation = {false, 7, 0.5, 99};
  a.toolsets = {"x", "y"};
  a.template_config_json = R"({"response_prefix":"> "})";
  a.updated_at_ms = 1764057600999;
  s->insert(a);
  auto got = s->get("full");
  BOOST_REQUIRE(got);
  BOOST_TEST(domain::encode_agent(*got) == domain::encode_agent(a));
  BOOST_TEST(got->updated_at_ms == a.updated_at_ms);
  BOOST_TEST(*got->conversation.max_tokens == 99);
}
