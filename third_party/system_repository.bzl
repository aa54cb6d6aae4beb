"""system_repository: a repository from a folder of this machine's packages.

Like local_repository / new_local_repository, but the folder may be moved
with an environment variable, so a machine whose packages live elsewhere
than Debian's paths builds with

    bazel build --repo_env=ECHO_LAB_GOOGLETEST_DIR=/opt/googletest ...

Bazel fetches the repository again whenever that variable changes.
"""

def _system_repository_impl(rctx):
    path = rctx.os.environ.get(rctx.attr.path_env) or rctx.attr.default_path
    folder = rctx.path(path)
    if not folder.exists:
        fail("%s: %s does not exist; install the package (tools/dev setup) " % (rctx.name, path) +
             "or point --repo_env=%s at its folder" % rctx.attr.path_env)
    for child in folder.readdir():
        rctx.symlink(child, child.basename)
    if rctx.attr.build_file:
        rctx.symlink(rctx.attr.build_file, "BUILD.bazel")
    if not rctx.path("WORKSPACE").exists:
        rctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % rctx.name)

system_repository = repository_rule(
    implementation = _system_repository_impl,
    attrs = {
        "default_path": attr.string(mandatory = True, doc = "Where Debian puts it."),
        "path_env": attr.string(mandatory = True, doc = "The variable that moves it."),
        "build_file": attr.label(doc = "A BUILD file, for folders that have none."),
    },
    local = True,
    doc = "A repository from a local folder that an environment variable can move.",
)
