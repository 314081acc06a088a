#!/usr/bin/env bash
# The main job: build the pack and the CLI, then run the CLI with the pack
# loaded on a small dataset the repo ships.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/setup.sh
cargo build -p dfpack-plugin -p dfpack-cli
exec "$CARGO_TARGET_DIR/debug/dfpack-cli" --format table -c \
    "SELECT name, version, abi, datafusion_version FROM pack_manifest()" \
    "SELECT name, kind, syntax FROM pack_functions() ORDER BY name" \
    "SELECT user_id, stable_hash64(user_id) AS user_key, count(*) AS events
       FROM 'examples/data/events.csv' GROUP BY user_id ORDER BY user_id"
