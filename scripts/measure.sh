#!/usr/bin/env bash
# Regenerates the figures in BENCHMARKS.md, on this machine, in one run
# (release build; one cargo invocation, so one feature set):
# - load + verify + install time of the pack: median of 20 fresh processes;
# - the CLI's start (to the end of `SELECT 1`): median of 20 runs, with and
#   without the pack, so the pack's share is a ratio from the same run;
# - the size of the release libdfpack.so;
# - udf-bench: every pack function through FFI vs native, and stable_hash64
#   vs DataFusion's built-in hashes (pass --rows/--runs through UDF_BENCH_ARGS);
# - delta-bench: a Delta table (10M rows, generated once, cached under
#   $DFPACK_BENCH_DATA) read by the pack through FFI vs deltalake-core natively
#   vs DataFusion's ListingTable, files/bytes read, table resolution; then
#   bench/python/delta_bench.py: the pack vs deltalake vs polars from Python,
#   in a venv of its own (bench/python/setup_venv.sh) holding the release
#   libdfpack.so and lib_native.so. DELTA_BENCH_ARGS (--rows/--commits/--runs/
#   --data) go to both;
# - contract-bench: planning a 20-table join of contract-bound datasets with
#   and without the pack's contract rule;
# - write-bench and bench/python/write_bench.py: INSERT INTO through the pack vs
#   deltalake-core writing the same batches natively, and vs deltalake's
#   write_deltalake from Python.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh
cargo build --release -p dfpack-plugin -p dfpack-cli -p dfpack-loader -p dfpack-bench -p dfpack-python --lib --bins --example load_timing
bin="$CARGO_TARGET_DIR/release"
runs=20

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
elapsed_us() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); echo $(((t1 - t0) / 1000)); }

for _ in $(seq $runs); do "$bin/examples/load_timing" "$bin/libdfpack.so"; done >/tmp/dfpack-load.txt
load=$(cut -d' ' -f1 </tmp/dfpack-load.txt | median)
install=$(cut -d' ' -f2 </tmp/dfpack-load.txt | median)
with=$(for _ in $(seq $runs); do elapsed_us "$bin/dfpack-cli" -q --plugin "$bin/libdfpack.so" -c "SELECT 1"; done | median)
without=$(for _ in $(seq $runs); do elapsed_us "$bin/dfpack-cli" -q --no-default-plugin -c "SELECT 1"; done | median)
size=$(stat -c %s "$bin/libdfpack.so")

cat <<REPORT
machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB, $(uname -m), rustc $(rustc --version | cut -d' ' -f2)
load + verify (median of $runs fresh processes):      ${load} us
install into a new session (median of $runs):         ${install} us
CLI start to end of SELECT 1, with the pack:          ${with} us
CLI start to end of SELECT 1, without any pack:       ${without} us
CLI start with / without the pack:                    $(awk -v a="$with" -v b="$without" 'BEGIN { printf "%.2fx", a / b }')
release libdfpack.so size:                            ${size} bytes ($(awk -v s="$size" 'BEGIN { printf "%.1f MiB", s / 1048576 }'))
REPORT

# shellcheck disable=SC2086 # word splitting of the extra arguments is intended
"$bin/udf-bench" --pack "$bin/libdfpack.so" ${UDF_BENCH_ARGS:-}

echo
echo "## contract-bench"
"$bin/contract-bench" --pack "$bin/libdfpack.so"

echo
echo "## write-bench"
"$bin/write-bench" --pack "$bin/libdfpack.so"

# Delta: the Rust bench first (it generates the table), then the Python one on the same table.
delta_args=${DELTA_BENCH_ARGS:---runs 9}
echo
echo "## delta-bench"
# shellcheck disable=SC2086 # word splitting of the extra arguments is intended
"$bin/delta-bench" --pack "$bin/libdfpack.so" $delta_args
echo
echo "## bench/python/delta_bench.py"
python=$(bench/python/setup_venv.sh release)
# shellcheck disable=SC2086
"$python" bench/python/delta_bench.py $delta_args
echo
echo "## bench/python/write_bench.py"
"$python" bench/python/write_bench.py
