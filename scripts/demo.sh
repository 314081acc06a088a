#!/usr/bin/env bash
# The main job: build the pack and the CLI, write the small Delta table the
# demo reads (examples/data/events_delta, once), then run the CLI with the pack
# loaded and the demo's pack config.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/setup.sh
# The whole workspace, as the tests build it: one feature set, one build.
cargo build --workspace --lib --bins --examples
"$CARGO_TARGET_DIR/debug/examples/demo_table" examples/data/events_delta
exec "$CARGO_TARGET_DIR/debug/dfpack-cli" --format table --pack-config examples/pack.toml -c \
    "SELECT name, version, abi, datafusion_version FROM pack_manifest()" \
    "SELECT table_catalog, table_schema, table_name FROM information_schema.tables WHERE table_catalog = 'delta' AND table_schema = 'default'" \
    "SELECT day, kind, count(*) AS events, sum(amount) AS amount, stable_hash64(day, kind) AS key
       FROM delta.default.events WHERE day >= '2026-11-02' GROUP BY day, kind ORDER BY day, kind" \
    "SELECT table, version, files, bytes, filters FROM pack_delta_scans()" \
    "SELECT (SELECT count(*) FROM delta.default.events) AS now, (SELECT count(*) FROM delta.default.events_v0) AS at_version_0" \
    "SELECT version, operation, is_blind_append FROM delta_history('examples/data/events_delta')" \
    "SELECT version, min_reader_version, min_writer_version, partition_columns FROM delta_snapshot('examples/data/events_delta')"
