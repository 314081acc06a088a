#!/usr/bin/env bash
# Builds the dfpack Python package in development mode into a venv and runs its
# pytest suite against the real datafusion wheel. Exit code: pytest's.
#
#   DFPACK_VENV       venv to use/create      (default ~/.cache/dfpack/venv)
#   CARGO_TARGET_DIR  shared cargo target dir (default ~/.cache/dfpack/target)
#   extra arguments go to pytest, e.g. ./build.sh -k manifest -x
#
# The extension is built by cargo together with the whole workspace rather than
# by `maturin develop`: maturin builds this one crate alone, so cargo would
# unify the dependency tree's features differently and rebuild DataFusion twice
# per run. The package is installed the way `maturin develop` does it, as a
# path entry in the venv. Wheels for distribution: `maturin build --release`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${DFPACK_VENV:-$HOME/.cache/dfpack/venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/dfpack/target}"

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-test.txt"

# The whole workspace (one feature set): the extension, the pack it bundles,
# the fixture pack the tests misbehave with, and the Rust host they compare with.
(cd "$root" && cargo build --quiet --workspace --lib --bins --examples)
debug="$CARGO_TARGET_DIR/debug"
install -m 0755 "$debug/libdfpack.so" "$here/python/dfpack/libdfpack.so"
install -m 0755 "$debug/lib_native.so" "$here/python/dfpack/_native.abi3.so"
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$here/python" >"$site/dfpack-dev.pth"

export DFPACK_FIXTURE="${DFPACK_FIXTURE:-$debug/libdfpack_fixture.so}"
export DFPACK_EMBED="${DFPACK_EMBED:-$debug/examples/embed}"
export DFPACK_CLI="${DFPACK_CLI:-$debug/dfpack-cli}"
cd "$here"
exec "$venv/bin/python" -m pytest "$@"
