#!/usr/bin/env bash
# run_fuzzer.sh: the <target>_run launcher declared by echo_fuzz_test.
#
#   bazel run --config=fuzz //fuzz:<target>_run -- [--timeout_secs=N]
#       [--regression] [--clean] [--jobs=N] [-- libFuzzer flags...]
#
# Fuzzes into a working corpus under $TMPDIR (seeded from the in-tree corpus;
# --clean starts it afresh); --regression only replays the in-tree corpus and
# reproducers. The target's .options file supplies its engine options.
# tools/dev fuzz builds on this with merging, crash triage and a report.
set -euo pipefail

binary= options= corpus= regressions= dict=
timeout_secs=0 regression=0 clean=0 jobs=1
engine_flags=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary=*) binary="${1#*=}" ;;
    --options=*) options="${1#*=}" ;;
    --corpus=*) corpus="${1#*=}" ;;
    --regressions=*) regressions="${1#*=}" ;;
    --dict=*) dict="${1#*=}" ;;
    --timeout_secs=*) timeout_secs="${1#*=}" ;;
    --regression) regression=1 ;;
    --clean) clean=1 ;;
    --jobs=*) jobs="${1#*=}" ;;
    --) shift; engine_flags=("$@"); break ;;
    *) echo "run_fuzzer: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done
[[ "$timeout_secs" =~ ^[0-9]+$ ]] || { echo "run_fuzzer: --timeout_secs needs a number" >&2; exit 2; }
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run_fuzzer: --jobs needs a positive number" >&2; exit 2; }

# Paths under the source tree when launched by `bazel run`.
src="${BUILD_WORKSPACE_DIRECTORY:-.}"
flags=()
# Engine options: "key = value" lines after [libfuzzer].
while IFS='=' read -r key value; do
  key="${key// /}" value="${value// /}"
  [[ -z "$key" || "$key" == \[* ]] && continue
  if [[ "$key" == dict ]]; then
    [[ -n "$dict" ]] && flags+=("-dict=$dict")
  else
    flags+=("-$key=$value")
  fi
done < "$options"

seeds=("$src/$corpus")
[[ -d "$src/$regressions" ]] && seeds+=("$src/$regressions")
if [[ "$regression" -eq 1 ]]; then
  exec "$binary" "${flags[@]}" -runs=0 "${engine_flags[@]}" "${seeds[@]}"
fi

work="${TMPDIR:-/tmp}/echo_fuzz/$(basename "$binary")"
[[ "$clean" -eq 1 ]] && rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
echo "run_fuzzer: corpus $work/corpus, crashes in $work/artifacts" >&2
[[ "$timeout_secs" -gt 0 ]] && flags+=("-max_total_time=$timeout_secs")
[[ "$jobs" -gt 1 ]] && flags+=("-jobs=$jobs" "-workers=$jobs")
exec "$binary" "${flags[@]}" -artifact_prefix="$work/artifacts/" \
  "${engine_flags[@]}" "$work/corpus" "${seeds[@]}"
