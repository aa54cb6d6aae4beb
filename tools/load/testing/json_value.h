// json_value.h: a strict little JSON parser for tests of echo_load's output.
//
// Strict on purpose (RFC 8259 grammar, no trailing commas, no duplicate
// keys, nothing after the value): a test that parses the report this way
// fails when the report is not well-formed JSON.

#ifndef ECHO_LAB_TOOLS_LOAD_TESTING_JSON_VALUE_H_
#define ECHO_LAB_TOOLS_LOAD_TESTING_JSON_VALUE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace echo {
namespace load {
namespace testing {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;               // kString (escapes decoded, \u as UTF-8).
  std::vector<JsonValue> items;     // kArray elements, kObject values.
  std::vector<std::string> keys;    // kObject keys, parallel to items.

  // The member `key` of an object, or nullptr (also for non-objects).
  const JsonValue* Find(const std::string& key) const;
};

// Parses `text`, which must hold exactly one JSON value (whitespace around
// it allowed). On failure returns nullopt and says why (with the offset) in
// `*error`.
std::optional<JsonValue> ParseJson(std::string_view text, std::string* error);

}  // namespace testing
}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_TESTING_JSON_VALUE_H_
