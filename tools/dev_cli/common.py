"""What every tools/dev subcommand shares: the checkout, Bazel invocations
and output bases, and running a tool while keeping its verdicts.

A verdict is a line "<tool>: <check> PASSED|FAILED: <detail>", which every
tool under tools/ prints once per check; `tools/dev test` counts them.
"""

import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
VERDICT = re.compile(r"^[a-z]+: +\S+ +(PASSED|FAILED):")
# Every verdict line seen by run_tool, in order: (line, passed).
verdicts = []


class Failure(Exception):
    """A subcommand cannot go on; main() prints "dev: error: <message>"."""


def log(message):
    print("dev: " + message, file=sys.stderr, flush=True)


def cache_dir(kind, variable):
    """An output base per toolchain and checkout, as Bazel keys its own by path."""
    if os.environ.get(variable):
        return os.environ[variable]
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache"))
    return str(cache / kind / hashlib.md5(str(ROOT).encode()).hexdigest()[:12])


# Toolchain switches re-run Bazel's C++ autoconfiguration and rebuild
# everything, so gcc (Bazel's default base), clang, coverage and the hunt's
# scratch tree (tools/bugs/) each keep an output base of their own.
OUTPUT_BASES = {
    "gcc": None,
    "clang": cache_dir("echo_lab_clang", "ECHO_LAB_CLANG_OUTPUT_BASE"),
    "coverage": cache_dir("echo_lab_cov", "ECHO_LAB_COVERAGE_OUTPUT_BASE"),
    "hunt": cache_dir("echo_lab_hunt", "ECHO_LAB_HUNT_OUTPUT_BASE"),
}
QUIET = ["--ui_event_filters=-info", "--noshow_progress"]


def bazel_command(base, command, *args):
    """bazel COMMAND in an output base. Outside the gcc base no convenience
    links are made: they would point the workspace's links into that base,
    where the gcc build then finds a second copy of the external repos."""
    startup = [] if OUTPUT_BASES[base] is None else ["--output_base=" + OUTPUT_BASES[base]]
    links = [] if OUTPUT_BASES[base] is None or command in ("info", "query") else ["--symlink_prefix=/"]
    return ["bazel"] + startup + [command] + links + list(args)


def bazel(base, command, *args, workspace=ROOT):
    """Runs bazel; its exit status."""
    return subprocess.run(bazel_command(base, command, *args), cwd=workspace).returncode


def build(base, configs, labels, what, workspace=ROOT):
    """Builds labels; the bazel-bin folder of that configuration."""
    if bazel(base, "build", *configs, *QUIET, *labels, workspace=workspace) != 0:
        raise Failure("%s did not build" % what)
    return bazel_bin(base, configs, workspace)


def bazel_output(base, command, *args, workspace=ROOT):
    """What a bazel command (info, query) prints, without its messages."""
    return subprocess.run(bazel_command(base, command, *args), cwd=workspace, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout


def bazel_bin(base, configs, workspace=ROOT):
    """The bazel-bin folder of a configuration in an output base."""
    info = bazel_output(base, "info", *configs, "bazel-bin", workspace=workspace)
    return pathlib.Path(info.strip())


def sanitizer_env():
    """Symbolized sanitizer traces, and UBSan stacks, for every binary run."""
    env = dict(os.environ)
    env.setdefault("ASAN_SYMBOLIZER_PATH", shutil.which("llvm-symbolizer") or "")
    env.setdefault("ASAN_OPTIONS", "symbolize=1:detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:symbolize=1")
    return env


def run_tool(command, env=None):
    """Runs a tool, passing its output through and keeping its verdict
    lines; its exit status."""
    process = subprocess.Popen([str(part) for part in command], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, text=True, errors="replace")
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        match = VERDICT.match(line)
        if match:
            verdicts.append((line.rstrip("\n"), match.group(1) == "PASSED"))
    return process.wait()


def python_tool(script, *args, env=None):
    return run_tool([sys.executable, ROOT / script] + list(args), env=env)


def subcommand(subparsers, handler, help, description=None):
    """The parser of `tools/dev <handler's name>`; --help shows `description`
    (default: `help`, as `tools/dev --help` does)."""
    parser = subparsers.add_parser(handler.__name__, help=help, description=description or help)
    parser.set_defaults(handler=handler)
    return parser


def positive(text):
    """argparse type: a positive whole number (seconds, trials, jobs)."""
    if not text.isdigit() or int(text) < 1:
        raise ValueError(text)
    return int(text)


positive.__name__ = "positive number"  # argparse: "invalid positive number value".


def env_seconds(variable, default):
    """A CI step length, configurable from the environment."""
    return positive(os.environ.get(variable, str(default)))
