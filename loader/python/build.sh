#!/usr/bin/env bash
# Build the dfpack Python package into a venv and run its pytest suite against
# the real datafusion wheel. Exit code: pytest's.
#
#   DFPACK_VENV       venv to use/create      (default ~/.cache/dfpack/venv)
#   CARGO_TARGET_DIR  shared cargo target dir (default ~/.cache/dfpack/target)
#   extra arguments go to pytest, e.g. ./build.sh -k manifest -x
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${DFPACK_VENV:-$HOME/.cache/dfpack/venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/dfpack/target}"

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-test.txt"

# The pack images the tests load: the real pack (bundled into the package) and
# the fixture pack (misbehaves on purpose), plus the Rust host the tests compare with.
(cd "$root" && cargo build --quiet -p dfpack-plugin -p dfpack-fixture-plugin \
    && cargo build --quiet -p dfpack-loader --example embed)
install -m 0755 "$CARGO_TARGET_DIR/debug/libdfpack.so" "$here/python/dfpack/libdfpack.so"

# maturin finds the target dir through cargo, which honours CARGO_TARGET_DIR;
# debug profile, so it shares the dependency builds above.
(cd "$here" && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop)

export DFPACK_FIXTURE="${DFPACK_FIXTURE:-$CARGO_TARGET_DIR/debug/libdfpack_fixture.so}"
export DFPACK_EMBED="${DFPACK_EMBED:-$CARGO_TARGET_DIR/debug/examples/embed}"
cd "$here"
exec "$venv/bin/python" -m pytest "$@"
