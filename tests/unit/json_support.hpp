#pragma once
// Shared by the codec tests: parse what an encoder wrote, failing the test
// if it is not JSON.
#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <string>

namespace troupe::testing {

inline rapidjson::Document parse_json(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  BOOST_REQUIRE(!d.HasParseError());
  return d;
}

}  // namespace troupe::testing
