#!/usr/bin/env bash
# Installs what is needed and runs every test: Rust (unit, integration,
# sqllogictest) and Python (pytest against the real datafusion wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/setup.sh
# The target dir is shared across clones: drop our crates' outputs no build used lately.
python3 scripts/prune_target.py
echo "== build (target dir: $CARGO_TARGET_DIR)"
cargo build --all-targets
echo "== Rust tests"
cargo test --no-fail-fast
scripts/fuzz.sh 20
echo "== Python tests"
loader/python/build.sh
