// report_json.h: reading echo_load's JSON report in tests.
//
// nlohmann/json parses strictly (RFC 8259), so a test that reads a report
// this way fails when it is not well-formed JSON; lookups fail the test,
// rather than throw, when a field is missing or has the wrong type.

#ifndef ECHO_LAB_TOOLS_LOAD_TESTING_REPORT_JSON_H_
#define ECHO_LAB_TOOLS_LOAD_TESTING_REPORT_JSON_H_

#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace echo {
namespace load {
namespace testing {

using Json = nlohmann::json;

// The document in `text`; on a parse error, fails the test and returns
// an empty object.
inline Json ParseReport(const std::string& text) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& error) {
    ADD_FAILURE() << error.what() << "\n" << text;
    return Json::object();
  }
}

// The number `key` of `object`, or NaN after failing the test.
inline double Number(const Json& object, const std::string& key) {
  const auto it = object.find(key);
  const bool ok = it != object.end() && it->is_number();
  EXPECT_TRUE(ok) << "no number \"" << key << "\" in " << object.dump();
  return ok ? it->get<double>() : std::nan("");
}

// The string `key` of `object`, or "" after failing the test.
inline std::string Text(const Json& object, const std::string& key) {
  const auto it = object.find(key);
  const bool ok = it != object.end() && it->is_string();
  EXPECT_TRUE(ok) << "no string \"" << key << "\" in " << object.dump();
  return ok ? it->get<std::string>() : std::string();
}

}  // namespace testing
}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_TESTING_REPORT_JSON_H_
