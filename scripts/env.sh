# Sourced by the scripts: one target dir outside the clone, reused across runs.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/dfpack/target}"
export DFPACK_VENV="${DFPACK_VENV:-$HOME/.cache/dfpack/venv}"
# Panics inside the fixture pack are expected in tests; keep their reports short.
unset RUST_BACKTRACE
# The shared real Delta tables the tests read (never write): beside the clone
# when it sits in the workspace, else the workspace's copy.
if [ -z "${DFPACK_DELTA_TABLES:-}" ]; then
    for candidate in "$(pwd)/../shared/delta-tables" /work/shared/delta-tables; do
        if [ -d "$candidate" ]; then export DFPACK_DELTA_TABLES="$(cd "$candidate" && pwd)"; break; fi
    done
fi
