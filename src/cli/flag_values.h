// flag_values.h: parsing command-line values strictly, and quoting them in
// one-line error messages. Shared by echo_server and echo_load, so that both
// accept exactly the same spellings of a number, a size or a duration.

#ifndef ECHO_LAB_CLI_FLAG_VALUES_H_
#define ECHO_LAB_CLI_FLAG_VALUES_H_

#include <cstdint>
#include <string>

namespace echo {

// `text` quoted for a one-line message: control characters, backslashes and
// non-ASCII bytes become \xNN, and more than 64 bytes are cut with "...", so
// no argument can split a message across lines or flood a terminal.
[[nodiscard]] std::string QuoteForMessage(const std::string& text);

// Decimal digits only, at most `max`: no sign, no spaces, no leading zeros
// beyond a single "0". Overflow-safe over the whole uint64_t range.
[[nodiscard]] bool ParseUnsigned(const std::string& text, uint64_t max, uint64_t* value);

// "65536", "64k", "1m", "2g" (binary units: k = 1024), from 1 to `max`.
[[nodiscard]] bool ParseByteSize(const std::string& text, uint64_t max, uint64_t* bytes);

// "10", "0.25": seconds with at most three decimals, as milliseconds, from
// 0 to `max_ms`.
[[nodiscard]] bool ParseSeconds(const std::string& text, int64_t max_ms, int64_t* ms);

}  // namespace echo

#endif  // ECHO_LAB_CLI_FLAG_VALUES_H_
