#!/bin/bash -eu
# .clusterfuzzlite/build.sh: builds every fuzz target for ClusterFuzzLite /
# OSS-Fuzz, and for AFL++ under `tools/dev fuzz --engine afl`.
#
# Honours the OSS-Fuzz build environment: $CC $CXX $CFLAGS $CXXFLAGS
# $LIB_FUZZING_ENGINE $SANITIZER $FUZZING_ENGINE, sources in $SRC/echo-lab,
# objects in $WORK, results in $OUT: for each target T, the fuzzer $OUT/T,
# T_seed_corpus.zip (fuzz/corpus/T and fuzz/regressions/T), and T.options
# and T.dict when fuzz/options/T.options and fuzz/T.dict exist.
#
# Nothing is listed by hand, so this cannot drift from fuzz/BUILD:
#   library          every src/**/*.cc but programs' main.cc and the test
#                    doubles of src/testing/
#   harness support  fuzz/*.cc but the targets and replay_main.cc, plus
#                    src/testing/*.cc
#   targets          fuzz/T_fuzzer.cc, one fuzzer T each
# tools/cfl/check_build.py checks that the targets are exactly the
# echo_fuzz_test targets of fuzz/BUILD.
set -euo pipefail

die() { echo "build.sh: error: $*" >&2; exit 1; }

for var in CC CXX CFLAGS CXXFLAGS LIB_FUZZING_ENGINE SRC OUT WORK; do
  [[ -n "${!var:-}" ]] || die "\$$var is not set (run inside the OSS-Fuzz build environment)"
done
# -P: the physical path, which debug info records, so traces name the real
# checkout when $SRC/echo-lab is a link to it (tools/dev fuzz --engine afl).
cd -P "$SRC/echo-lab" || die "no checkout at \$SRC/echo-lab"

build="$WORK/echo-lab"
rm -rf "$build"
mkdir -p "$build" "$OUT"

mapfile -t library < <(find src -name '*.cc' ! -name main.cc ! -path 'src/testing/*' | sort)
mapfile -t support < <({ find fuzz -maxdepth 1 -name '*.cc' ! -name '*_fuzzer.cc' \
                           ! -name replay_main.cc; find src/testing -name '*.cc'; } | sort)
mapfile -t fuzzers < <(find fuzz -maxdepth 1 -name '*_fuzzer.cc' | sort)
[[ ${#library[@]} -gt 0 && ${#fuzzers[@]} -gt 0 ]] || die "no sources found under $PWD"

# Harness code (targets, oracles, decoders, fake sockets) carries no coverage
# instrumentation, as in the Bazel build (NO_FUZZ_COVERAGE, fuzz/fuzzing.bzl):
# the engine's feedback then counts only the code under test, not branches of
# an oracle that always passes. Sanitizers still apply to it.
harness_env=()
harness_flags=()
case "${FUZZING_ENGINE:-libfuzzer}" in
  libfuzzer)
    # Only when -fsanitize=fuzzer-no-link added the instrumentation (not in
    # the coverage build, whose reports should show the harness too).
    if [[ "${SANITIZER:-}" != coverage ]]; then
      harness_flags=("-fno-sanitize-coverage=inline-8bit-counters,pc-table,trace-cmp,indirect-calls")
    fi ;;
  afl)
    # afl-clang-fast instruments through its own pass; a deny list matching
    # every file turns it off for these compiles only.
    echo 'src: *' > "$build/afl_deny_all.txt"
    harness_env=(AFL_LLVM_DENYLIST="$build/afl_deny_all.txt") ;;
esac

# compile KIND SOURCE...: one object per source under $build, nproc at a
# time; KIND "harness" applies the harness settings above.
compile() {
  local kind="$1"; shift
  local env_vars=() flags=() pids=() source object
  if [[ "$kind" == harness ]]; then env_vars=("${harness_env[@]}"); flags=("${harness_flags[@]}"); fi
  for source in "$@"; do
    object="$build/${source%.cc}.o"
    mkdir -p "$(dirname "$object")"
    # shellcheck disable=SC2086  # $CXXFLAGS is a list of flags.
    env "${env_vars[@]}" $CXX $CXXFLAGS -std=c++17 -I. "${flags[@]}" -c "$source" -o "$object" &
    pids+=($!)
    if [[ ${#pids[@]} -ge $(nproc) ]]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
}

compile library "${library[@]}"
compile harness "${support[@]}" "${fuzzers[@]}"

# archive NAME SOURCE...: the objects of those sources as $build/NAME.
archive() {
  local name="$1" objects=() source; shift
  for source in "$@"; do objects+=("$build/${source%.cc}.o"); done
  ar rcs "$build/$name" "${objects[@]}"
}
archive libecho_lab.a "${library[@]}"
archive libecho_fuzz_support.a "${support[@]}"

for source in "${fuzzers[@]}"; do
  target="$(basename "$source" _fuzzer.cc)"
  # libev statically (-l:libev.a): the runner image has no libev.so.
  # shellcheck disable=SC2086  # flag lists.
  $CXX $CXXFLAGS "$build/${source%.cc}.o" "$build/libecho_fuzz_support.a" \
    "$build/libecho_lab.a" -l:libev.a -lm $LIB_FUZZING_ENGINE -o "$OUT/$target"

  [[ -d "fuzz/corpus/$target" ]] || die "$target: fuzz/corpus/$target/ must hold its seeds"
  seeds=("fuzz/corpus/$target")
  if [[ -d "fuzz/regressions/$target" ]]; then seeds+=("fuzz/regressions/$target"); fi
  rm -f "$OUT/${target}_seed_corpus.zip"
  find "${seeds[@]}" -type f -print0 | xargs -0 zip -jq "$OUT/${target}_seed_corpus.zip"
  if [[ -f "fuzz/options/$target.options" ]]; then cp "fuzz/options/$target.options" "$OUT/"; fi
  if [[ -f "fuzz/$target.dict" ]]; then cp "fuzz/$target.dict" "$OUT/"; fi
done
echo "build.sh: built ${#fuzzers[@]} fuzzer(s) into $OUT"
