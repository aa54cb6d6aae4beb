// replay_main.cc: runs a fuzz target's corpus and reproducers without a
// fuzzing engine (OpenSSL's fuzz/test-corpus.c idea).
//
// usage: <target> PATH...   each PATH is a file or a directory (recursed);
// every file is fed once to LLVMFuzzerTestOneInput, its name printed first
// (as rules_fuzzing's replayer does), so when an oracle failure or sanitizer
// report aborts the process, the test log ends with the input's name. It
// fails if a path is missing, if the target returns non-zero (libFuzzer
// reserves other values), or if no file at all was replayed, so an emptied
// corpus cannot pass silently.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
    __attribute__((weak));

namespace {

namespace fs = std::filesystem;

bool ReplayFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  std::fprintf(stderr, "replay: running %s\n", path.c_str());
  // A copy of exactly `size` bytes, so ASan sees reads past the end.
  std::vector<uint8_t> exact(bytes);
  const int result = LLVMFuzzerTestOneInput(exact.data(), exact.size());
  if (result != 0) {
    std::fprintf(stderr, "replay: %s: the target returned %d, not 0\n", path.c_str(), result);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  size_t replayed = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const fs::path root(argv[i]);
    std::error_code error;
    if (fs::is_regular_file(root, error)) {
      ok &= ReplayFile(root);
      ++replayed;
      continue;
    }
    if (!fs::is_directory(root, error)) {
      std::fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
      ok = false;
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      ok &= ReplayFile(file);
      ++replayed;
    }
  }
  std::printf("replay: %zu inputs\n", replayed);
  if (replayed == 0) {
    std::fprintf(stderr, "replay: nothing replayed\n");
    return 1;
  }
  return ok ? 0 : 1;
}
