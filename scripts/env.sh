# Sourced by the scripts: one target dir outside the clone, reused across runs.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/dfpack/target}"
export DFPACK_VENV="${DFPACK_VENV:-$HOME/.cache/dfpack/venv}"
# Panics inside the fixture pack are expected in tests; keep their reports short.
unset RUST_BACKTRACE
