// Tests that flags.dict, the `flags` target's dictionary, names every flag
// and every log level echo_server accepts. The dictionary is written by
// hand; this reads the flags from the server's own usage line (made from
// its flag table) and the levels through ParseLogLevel(), so a flag added
// to the table without its token fails here.

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "src/server/log.h"
#include "src/server/server_flags.h"

namespace echo {
namespace {

// The entries of a libFuzzer dictionary: `"..."` or `name="..."` lines,
// with \\, \" and \xNN escapes; comments and blank lines skipped.
std::set<std::string> ReadDictionary(const std::string& path) {
  std::ifstream file(path);
  EXPECT_TRUE(file.is_open()) << path;
  std::set<std::string> entries;
  std::string line;
  while (std::getline(file, line)) {
    const size_t open = line.find('"');
    if (line.empty() || line[0] == '#' || open == std::string::npos) continue;
    std::string entry;
    for (size_t i = open + 1; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == 'x' && i + 3 < line.size()) {
        entry.push_back(static_cast<char>(std::stoi(line.substr(i + 2, 2), nullptr, 16)));
        i += 3;
      } else if (line[i] == '\\' && i + 1 < line.size()) {
        entry.push_back(line[++i]);
      } else {
        entry.push_back(line[i]);
      }
    }
    entries.insert(entry);
  }
  return entries;
}

// Every "--flag" the usage line names, --help and --version included.
std::set<std::string> UsageFlags() {
  std::set<std::string> flags;
  std::istringstream words(ServerUsageLine());
  std::string word;
  while (words >> word) {
    const size_t start = word.find("--");
    if (start == std::string::npos) continue;
    const size_t end = word.find_first_not_of("-abcdefghijklmnopqrstuvwxyz", start);
    flags.insert(word.substr(start, end == std::string::npos ? end : end - start));
  }
  return flags;
}

TEST(FlagsDictionaryTest, NamesEveryFlagOfTheUsageLine) {
  const std::set<std::string> dictionary = ReadDictionary("fuzz/flags.dict");
  const std::set<std::string> flags = UsageFlags();
  EXPECT_GE(flags.size(), 12u) << ServerUsageLine();  // Ten flags, --help, --version.
  for (const std::string& flag : flags) {
    EXPECT_EQ(dictionary.count(flag), 1u) << "flags.dict lacks \"" << flag << "\"";
  }
  EXPECT_EQ(dictionary.count("-h"), 1u) << "flags.dict lacks \"-h\", --help's short form";
}

TEST(FlagsDictionaryTest, NamesEveryLogLevel) {
  std::set<LogLevel> levels;
  for (const std::string& entry : ReadDictionary("fuzz/flags.dict")) {
    if (const auto level = ParseLogLevel(entry)) levels.insert(*level);
  }
  for (const LogLevel level : {LogLevel::kError, LogLevel::kWarn, LogLevel::kInfo,
                               LogLevel::kDebug}) {
    EXPECT_EQ(levels.count(level), 1u) << "flags.dict lacks log level " << static_cast<int>(level);
  }
}

}  // namespace
}  // namespace echo
