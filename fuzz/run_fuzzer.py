#!/usr/bin/env python3
"""run_fuzzer.py: the <target>_run launcher that echo_fuzz_test declares.

  bazel run --config=fuzz //fuzz:<target>_run -- [--timeout_secs N]
      [--regression] [--clean] [--fuzzing_output_root DIR] [--jobs N]
      [-- libFuzzer flags...]

The flags are rules_fuzzing's launcher flags, as `--flag value` or
`--flag=value`. Fuzzes into DIR/corpus (seeded from the in-tree corpus and
reproducers; --clean empties DIR first), crashes go to DIR/artifacts; DIR
defaults to $TMPDIR/fuzzing/<target>. --regression only replays the in-tree
inputs. The target's .options file ([libfuzzer] key = value, comments
allowed as on OSS-Fuzz) supplies its engine options. tools/dev fuzz builds
on this with merging, triage and a report.
"""

import argparse
import configparser
import os
import pathlib
import shutil
import sys


def engine_flags(options_path, dict_path):
    """libFuzzer flags from a .options file; its `dict` names dict_path."""
    options = configparser.ConfigParser()
    options.read(options_path)
    flags = []
    for key, value in options["libfuzzer"].items() if options.has_section("libfuzzer") else ():
        if key != "dict":
            flags.append("-%s=%s" % (key, value))
        elif dict_path:
            flags.append("-dict=" + dict_path)
    return flags


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        argv, extra = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Set by the BUILD rule, not by users.
    for wired in ("binary", "options", "corpus", "regressions", "dict"):
        parser.add_argument("--" + wired, help=argparse.SUPPRESS)
    parser.add_argument("--timeout_secs", type=int, default=0, help="stop after N s (0: never)")
    parser.add_argument("--regression", action="store_true", help="only replay the in-tree inputs")
    parser.add_argument("--clean", action="store_true", help="start the working corpus afresh")
    parser.add_argument("--fuzzing_output_root", help="working corpus and crashes go here")
    parser.add_argument("--jobs", type=int, default=1, help="parallel fuzzing processes")
    args = parser.parse_args(argv)
    if args.timeout_secs < 0 or args.jobs < 1:
        parser.error("--timeout_secs must be >= 0 and --jobs >= 1")

    # Paths under the source tree when launched by `bazel run`.
    source = pathlib.Path(os.environ.get("BUILD_WORKSPACE_DIRECTORY", "."))
    seeds = [str(source / args.corpus)]
    if (source / args.regressions).is_dir():
        seeds.append(str(source / args.regressions))
    flags = engine_flags(args.options, args.dict and os.path.abspath(args.dict))
    command = [os.path.abspath(args.binary)] + flags
    if args.regression:
        command += ["-runs=0"] + extra + seeds
    else:
        target = pathlib.Path(args.binary).name.replace("_bin", "")
        root = pathlib.Path(args.fuzzing_output_root or
                            pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / "fuzzing" / target)
        if args.clean:
            shutil.rmtree(root, ignore_errors=True)
        (root / "corpus").mkdir(parents=True, exist_ok=True)
        (root / "artifacts").mkdir(parents=True, exist_ok=True)
        print("run_fuzzer: corpus %s/corpus, crashes in %s/artifacts" % (root, root), file=sys.stderr)
        if args.timeout_secs:
            command.append("-max_total_time=%d" % args.timeout_secs)
        if args.jobs > 1:
            command += ["-jobs=%d" % args.jobs, "-workers=%d" % args.jobs]
        command += ["-artifact_prefix=%s/artifacts/" % root] + extra + [str(root / "corpus")] + seeds
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
