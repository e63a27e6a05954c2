#define BOOST_TEST_MODULE tool_catalog
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "domain/tools/tool_catalog.hpp"
#include "domain/tools/tool_round.hpp"
#include "json_support.hpp"

using namespace troupe::domain;
using troupe::testing::parse_json;

namespace {

tool_definition def(const std::string& toolset, const std::string& original) {
  tool_definition t;
  t.toolset = toolset;
  t.original = original;
  return t;
}

std::vector<std::string> names(const std::vector<tool_definition>& tools) {
  std::vector<std::string> out;
  for (auto& t : tools) out.push_back(t.name);
  return out;
}

const std::regex valid_name("^[a-zA-Z0-9_-]{1,64}$");

// Every name valid, all distinct, none a client's; toolsets and originals untouched.
void check_names(const std::vector<tool_definition>& in, const std::vector<tool_definition>& out,
                 const std::vector<std::string>& taken) {
  BOOST_REQUIRE(out.size() == in.size());
  std::set<std::string> seen;
  for (std::size_t i = 0; i < out.size(); ++i) {
    BOOST_TEST_INFO("tool " << i << " '" << out[i].name << "' from '" << in[i].original << "'");
    BOOST_TEST(std::regex_match(out[i].name, valid_name));
    BOOST_TEST(seen.insert(out[i].name).second);
    BOOST_TEST((std::find(taken.begin(), taken.end(), out[i].name) == taken.end()));
    BOOST_TEST(out[i].original == in[i].original);
    BOOST_TEST(out[i].toolset == in[i].toolset);
  }
}

chat_message answer_with_calls(const std::vector<std::string>& call_names) {
  chat_message m{role::assistant, "thinking"};
  auto x = std::make_shared<message_extra>();
  for (std::size_t i = 0; i < call_names.size(); ++i)
    x->tool_calls.push_back({"call_" + std::to_string(i), call_names[i], "{\"i\":" + std::to_string(i) + "}"});
  m.extra = x;
  return m;
}

// The part of a tool message before the cut note (the whole of it when not cut).
std::string before_note(const std::string& content) {
  auto at = content.find("\n[");
  return at == std::string::npos ? content : content.substr(0, at);
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

// --- unique_tool_names ---

BOOST_AUTO_TEST_CASE(plain_names_kept) {
  std::vector<tool_definition> in{def("fs", "read_file"), def("fs", "write-file"), def("web", "Search2")};
  auto out = unique_tool_names(in);
  BOOST_TEST(names(out) == (std::vector<std::string>{"read_file", "write-file", "Search2"}));
  check_names(in, out, {});
  BOOST_TEST(unique_tool_names({}).empty());
}

BOOST_AUTO_TEST_CASE(invalid_characters_become_underscores) {
  std::vector<tool_definition> in{def("s", "read file"), def("s", "a.b/c:d"), def("s", "caf\xC3\xA9"),
                                  def("s", "")};
  auto out = unique_tool_names(in);
  BOOST_TEST(out[0].name == "read_file");
  BOOST_TEST(out[1].name == "a_b_c_d");
  BOOST_TEST(out[2].name == "caf__");  // each byte of é
  BOOST_TEST(out[3].name == "tool");
  check_names(in, out, {});
}

BOOST_AUTO_TEST_CASE(long_names_cut_at_64) {
  std::string long_name(100, 'x');
  std::vector<tool_definition> in{def("s", long_name)};
  auto out = unique_tool_names(in);
  BOOST_TEST(out[0].name == std::string(64, 'x'));
  std::string exactly(64, 'y');
  BOOST_TEST(unique_tool_names({def("s", exactly)})[0].name == exactly);
}

BOOST_AUTO_TEST_CASE(clash_between_toolsets_prefixed) {
  std::vector<tool_definition> in{def("fs", "read_file"), def("git", "read_file"), def("git", "log")};
  auto out = unique_tool_names(in);
  BOOST_TEST(out[0].name == "fs_read_file");
  BOOST_TEST(out[1].name == "git_read_file");
  BOOST_TEST(out[2].name == "log");  // no clash: as it is
  check_names(in, out, {});
}

BOOST_AUTO_TEST_CASE(clash_after_sanitizing_prefixed) {
  std::vector<tool_definition> in{def("a", "get.time"), def("b", "get time")};
  auto out = unique_tool_names(in);
  BOOST_TEST(out[0].name == "a_get_time");
  BOOST_TEST(out[1].name == "b_get_time");
  check_names(in, out, {});
}

BOOST_AUTO_TEST_CASE(client_tool_keeps_its_name) {
  std::vector<std::string> taken{"search", "get_weather"};
  std::vector<tool_definition> in{def("web", "search"), def("web", "fetch")};
  auto out = unique_tool_names(in, taken);
  BOOST_TEST(out[0].name == "web_search");
  BOOST_TEST(out[1].name == "fetch");
  check_names(in, out, taken);
  // Even when the prefixed name is a client's too.
  std::vector<std::string> both{"search", "web_search"};
  auto again = unique_tool_names(in, both);
  check_names(in, again, both);
}

BOOST_AUTO_TEST_CASE(same_name_twice_in_one_toolset) {
  std::vector<tool_definition> in{def("fs", "read"), def("fs", "read"), def("fs", "read")};
  auto out = unique_tool_names(in);
  check_names(in, out, {});
  BOOST_TEST(out[0].name == "fs_read");
}

BOOST_AUTO_TEST_CASE(prefixed_name_clashing_with_a_plain_one) {
  // a.x and b.x become a_x and b_x; c's own tool is called a_x.
  std::vector<tool_definition> in{def("a", "x"), def("b", "x"), def("c", "a_x")};
  check_names(in, unique_tool_names(in), {});
  std::vector<tool_definition> reversed{def("c", "a_x"), def("a", "x"), def("b", "x")};
  check_names(reversed, unique_tool_names(reversed), {});
  // A plain name that looks like a numbered one.
  std::vector<tool_definition> numbered{def("s", "t_2"), def("s", "t"), def("s", "t"), def("s", "t_2")};
  std::vector<std::string> taken{"s_t_2"};
  check_names(numbered, unique_tool_names(numbered, taken), taken);
}

BOOST_AUTO_TEST_CASE(long_names_clashing_after_the_cut) {
  std::string base(64, 'n');
  std::vector<tool_definition> in{def("t", base + "A"), def("t", base + "B"), def("u", base + "C"),
                                  def(std::string(80, 'T'), base), def(std::string(80, 'T'), base + "D")};
  auto out = unique_tool_names(in);
  check_names(in, out, {});
  std::vector<std::string> taken{base, "t_" + base.substr(0, 62)};
  check_names(in, unique_tool_names(in, taken), taken);
}

BOOST_AUTO_TEST_CASE(adversarial_names) {
  std::mt19937 rng(20260115);
  const std::string alphabet("ab_-.: /\xC3\xA9\x00x", 12);
  auto random_string = [&](std::size_t max_len) {
    std::string s;
    auto len = std::uniform_int_distribution<std::size_t>(0, max_len)(rng);
    for (std::size_t i = 0; i < len; ++i)
      s += alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
    return s;
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<tool_definition> in;
    auto n = std::uniform_int_distribution<int>(1, 40)(rng);
    std::vector<std::string> toolsets{random_string(3), random_string(70), "s", "s_"};
    for (int i = 0; i < n; ++i) {
      auto toolset = toolsets[std::uniform_int_distribution<std::size_t>(0, toolsets.size() - 1)(rng)];
      auto len = std::uniform_int_distribution<int>(0, 2)(rng) == 0 ? 90 : 4;
      in.push_back(def(toolset, random_string(len)));
    }
    std::vector<std::string> taken;
    for (int i = 0; i < 5; ++i) {
      // Client names are valid names; some exactly what the agent's tools would be called.
      auto valid = unique_tool_names({def("c", random_string(4))})[0].name;
      taken.push_back(valid);
    }
    taken.push_back("s_a");
    taken.push_back("tool");
    auto out = unique_tool_names(in, taken);
    BOOST_TEST_INFO("round " << round);
    check_names(in, out, taken);
  }
}

// --- openai_tool_elements ---

BOOST_AUTO_TEST_CASE(openai_elements_are_json) {
  std::vector<tool_definition> tools{def("fs", "read_file"), def("x", "quote\"d")};
  tools[0].description = "Reads \"a\" file\nwith\ttabs and \xC3\xA9";
  tools[0].parameters_json = R"({"type":"object","properties":{"path":{"type":"string"}}})";
  tools = unique_tool_names(tools);
  auto d = parse_json("[" + openai_tool_elements(tools) + "]");
  BOOST_REQUIRE(d.IsArray());
  BOOST_REQUIRE(d.Size() == 2u);
  auto& f = d[0];
  BOOST_TEST(std::string(f["type"].GetString()) == "function");
  BOOST_TEST(std::string(f["function"]["name"].GetString()) == "read_file");
  BOOST_TEST(std::string(f["function"]["description"].GetString()) == tools[0].description);
  BOOST_TEST(std::string(f["function"]["parameters"]["properties"]["path"]["type"].GetString()) == "string");
  // No description: no member; parameters still an object.
  BOOST_TEST(std::string(d[1]["function"]["name"].GetString()) == "quote_d");
  BOOST_TEST(!d[1]["function"].HasMember("description"));
  BOOST_TEST(d[1]["function"]["parameters"].IsObject());
  BOOST_TEST(parse_json("[" + openai_tool_elements({}) + "]").Size() == 0u);
}

// --- builtin_tools ---

BOOST_AUTO_TEST_CASE(builtin_schemas_are_json) {
  toolset_config cfg;
  cfg.name = "basics";
  cfg.type = "builtin";
  cfg.tools = {"current_time", "calculator", "fetch_url"};
  cfg.fetch_allow = {"https://example.com/", "https://docs.example.org/"};
  auto tools = builtin_tools(cfg);
  BOOST_REQUIRE(tools.size() == 3u);
  for (auto& t : tools) {
    BOOST_TEST_INFO(t.original);
    BOOST_TEST(t.name == t.original);
    BOOST_TEST(t.toolset == "basics");
    BOOST_TEST(!t.description.empty());
    auto schema = parse_json(t.parameters_json);
    BOOST_REQUIRE(schema.IsObject());
    BOOST_TEST(std::string(schema["type"].GetString()) == "object");
    BOOST_TEST(schema["properties"].IsObject());
  }
  BOOST_TEST(parse_json(tools[0].parameters_json)["properties"].HasMember("timezone"));
  auto calc = parse_json(tools[1].parameters_json);
  BOOST_TEST(calc["properties"].HasMember("expression"));
  BOOST_TEST(std::string(calc["required"][0].GetString()) == "expression");
  auto fetch = parse_json(tools[2].parameters_json);
  BOOST_TEST(std::string(fetch["required"][0].GetString()) == "url");
  BOOST_TEST(tools[2].description.find("https://example.com/") != std::string::npos);
  BOOST_TEST(tools[2].description.find("https://docs.example.org/") != std::string::npos);
  // All of them together are a valid tools array.
  BOOST_TEST(parse_json("[" + openai_tool_elements(tools) + "]").Size() == 3u);
  toolset_config none;
  BOOST_TEST(builtin_tools(none).empty());
}

// --- tool_message_content ---

BOOST_AUTO_TEST_CASE(content_plain_and_error) {
  BOOST_TEST(tool_message_content({"42", false}, 1000) == "42");
  BOOST_TEST(tool_message_content({"no such file", true}, 1000) == "Error: no such file");
  BOOST_TEST(tool_message_content({"", false}, 1000) == "");
  // Exactly the limit: not cut (the prefix counts).
  BOOST_TEST(tool_message_content({"abc", true}, 10) == "Error: abc");
  BOOST_TEST(tool_message_content({"abcdef", false}, 6) == "abcdef");
}

BOOST_AUTO_TEST_CASE(content_cut_with_a_note) {
  std::string text(1000, 'a');
  auto c = tool_message_content({text, false}, 100);
  BOOST_TEST(before_note(c) == std::string(100, 'a'));
  BOOST_TEST(c.size() > 100u);
  BOOST_TEST(c.find("1000") != std::string::npos);  // how much there was
  BOOST_TEST(c.find("100 ") != std::string::npos);  // how much is shown
  auto e = tool_message_content({text, true}, 20);
  BOOST_TEST(before_note(e) == "Error: " + std::string(13, 'a'));
  auto zero = tool_message_content({"abc", false}, 0);
  BOOST_TEST(before_note(zero).empty());
  BOOST_TEST(zero.find('3') != std::string::npos);
}

BOOST_AUTO_TEST_CASE(content_cut_on_a_utf8_boundary) {
  // 1-, 2-, 3- and 4-byte characters.
  std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80" "b\xF0\x9F\x98\x80\xC3\xA9";
  for (std::size_t max = 0; max < text.size(); ++max) {
    auto kept = before_note(tool_message_content({text, false}, max));
    BOOST_TEST_INFO("max " << max << " kept " << kept.size());
    BOOST_TEST(kept.size() <= max);
    BOOST_TEST(text.compare(0, kept.size(), kept) == 0);  // a prefix
    BOOST_TEST(!is_continuation(text[kept.size()]));   // ends before a character
    BOOST_TEST(max - kept.size() < 4u);                 // at most one character lost
  }
  BOOST_TEST(tool_message_content({text, false}, text.size()) == text);
}

// --- tool_round ---

BOOST_AUTO_TEST_CASE(split_calls_by_catalog) {
  std::vector<tool_definition> catalog{def("fs", "read"), def("git", "read"), def("fs", "list")};
  catalog = unique_tool_names(catalog);  // fs_read, git_read, list
  auto answer = answer_with_calls({"fs_read", "get_weather", "list", "read"});
  auto split = split_calls(answer, catalog);
  BOOST_TEST(split.server == (std::vector<std::size_t>{0, 2}));
  // "read" is the toolsets' own name, not the model's: the client's.
  BOOST_TEST(split.client == (std::vector<std::size_t>{1, 3}));
  BOOST_TEST(find_tool(catalog, "git_read") == &catalog[1]);
  BOOST_TEST(find_tool(catalog, "read") == nullptr);

  auto none = split_calls(chat_message{role::assistant, "hi"}, catalog);
  BOOST_TEST(none.server.empty());
  BOOST_TEST(none.client.empty());
  auto all_client = split_calls(answer, {});
  BOOST_TEST(all_client.client.size() == 4u);
  BOOST_TEST(all_client.server.empty());
}

BOOST_AUTO_TEST_CASE(with_calls_only_keeps_the_chosen) {
  auto answer = answer_with_calls({"a", "b", "c"});
  auto only = with_calls_only(answer, {1, 2});
  BOOST_TEST((only.role == role::assistant));
  BOOST_TEST(only.content == "thinking");
  BOOST_REQUIRE(only.tool_calls().size() == 2u);
  BOOST_TEST(only.tool_calls()[0].name == "b");
  BOOST_TEST(only.tool_calls()[0].id == "call_1");
  BOOST_TEST(only.tool_calls()[0].arguments == "{\"i\":1}");
  BOOST_TEST(only.tool_calls()[1].name == "c");
  BOOST_TEST(answer.tool_calls().size() == 3u);  // the original untouched
  // Out-of-range indexes ignored.
  BOOST_TEST(with_calls_only(answer, {0, 7}).tool_calls().size() == 1u);
  // None kept: no extra left when nothing else was in it.
  auto bare = with_calls_only(answer, {});
  BOOST_TEST(bare.tool_calls().empty());
  BOOST_TEST(bare.extra == nullptr);
  BOOST_TEST(bare.plain());
  // Other fields of the extra survive.
  auto named = answer;
  auto x = std::make_shared<message_extra>(*answer.extra);
  x->name = "bot";
  named.extra = x;
  auto kept = with_calls_only(named, {});
  BOOST_REQUIRE(kept.extra != nullptr);
  BOOST_TEST(kept.name() == "bot");
  BOOST_TEST(kept.tool_calls().empty());
  // A message without calls stays one.
  BOOST_TEST(with_calls_only(chat_message{role::assistant, "x"}, {0}).extra == nullptr);
}

BOOST_AUTO_TEST_CASE(tool_result_messages) {
  auto m = tool_result_message("call_9", "Error: boom");
  BOOST_TEST((m.role == role::tool));
  BOOST_TEST(m.content == "Error: boom");
  BOOST_TEST(m.tool_call_id() == "call_9");
  BOOST_TEST(m.tool_calls().empty());
}

BOOST_AUTO_TEST_CASE(tool_specs_of_catalog) {
  std::vector<tool_definition> catalog{def("fs", "read"), def("fs", "list")};
  catalog[0].name = "read";
  catalog[0].parameters_json = R"({"type":"object","properties":{"p":{}}})";
  catalog[1].name = "list";
  auto specs = tool_specs(catalog);
  BOOST_REQUIRE(specs.size() == 2u);
  BOOST_TEST(specs[0].name == "read");
  BOOST_TEST(specs[0].parameters_json == catalog[0].parameters_json);
  BOOST_TEST(specs[1].name == "list");
  BOOST_TEST(parse_json(specs[1].parameters_json).IsObject());
}
