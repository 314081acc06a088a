# Sourced by the scripts: one target dir outside the clone, reused across runs.
# LEAD: this worktree builds in its own target dir and venv (the shared dir would
# mix its outputs with other worktrees'); do not commit this change.
export CARGO_TARGET_DIR="$HOME/.cache/dfpack/target-wt-writes"
export DFPACK_VENV="$HOME/.cache/dfpack/venv-wt-writes"
# Panics inside the fixture pack are expected in tests; keep their reports short.
unset RUST_BACKTRACE
# The shared real Delta tables the tests read (never write): beside the clone
# when it sits in the workspace, else the workspace's copy.
if [ -z "${DFPACK_DELTA_TABLES:-}" ]; then
    for candidate in "$(pwd)/../shared/delta-tables" /work/shared/delta-tables; do
        if [ -d "$candidate" ]; then export DFPACK_DELTA_TABLES="$(cd "$candidate" && pwd)"; break; fi
    done
fi
