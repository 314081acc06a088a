#!/usr/bin/env bash
# Prepares the venv of the Python Delta bench (bench/python/delta_bench.py):
# its requirements (datafusion 55.0.0, deltalake, polars) and the dfpack package
# with the libdfpack.so and lib_native.so of one cargo profile, staged in the
# venv itself: the development package in loader/python (which build.sh fills
# with debug builds) is left alone.
#
#   setup_venv.sh [debug|release]      (default release; build that profile first)
#   DFPACK_BENCH_VENV   the venv (default ~/.cache/dfpack/bench-venv)
#   CARGO_TARGET_DIR    where the builds are (default ~/.cache/dfpack/target)
#
# Prints the venv's python.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
profile="${1:-release}"
venv="${DFPACK_BENCH_VENV:-$HOME/.cache/dfpack/bench-venv}"
build="${CARGO_TARGET_DIR:-$HOME/.cache/dfpack/target}/$profile"

for lib in libdfpack.so lib_native.so; do
    [ -f "$build/$lib" ] || { echo "setup_venv.sh: no $build/$lib: build the $profile profile first" >&2; exit 1; }
done
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2

# The package's Python sources as they are in the work tree, with this profile's libraries.
pkg="$venv/dfpack-bench-pkg/dfpack"
rm -rf "$pkg"
mkdir -p "$pkg"
src="$root/loader/python/python/dfpack"
cp "$src"/*.py "$pkg/"
cp "$src"/*.pyi "$src"/py.typed "$pkg/" 2>/dev/null || true
install -m 0755 "$build/libdfpack.so" "$pkg/libdfpack.so"
install -m 0755 "$build/lib_native.so" "$pkg/_native.abi3.so"
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$venv/dfpack-bench-pkg" >"$site/dfpack-bench.pth"
echo "$venv/bin/python"
