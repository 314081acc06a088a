"""Write throughput from Python, as ratios from one run on one machine.

The same rows (as ``write-bench``: int64, int32, int64, float64 and utf8
columns) appended to a new, empty Delta table per run:

- by the pack: ``INSERT INTO delta.default.w<run> SELECT * FROM src`` in a
  datafusion 55 ``SessionContext`` with the pack installed (``dfpack``), the
  rows registered as an in-memory table;
- by ``deltalake.write_deltalake(path, table, mode="append")`` (delta-rs'
  Python package) from the same pyarrow table.

Runs interleaved, the first of each side not counted; medians reported.

usage: write_bench.py [--rows N] [--runs N] [--pack PATH]

Run it in the bench venv (bench/python/setup_venv.sh).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import datafusion
import deltalake
import dfpack
import pyarrow as pa

BATCH_ROWS = 65_536


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pack", help="libdfpack.so (default: the one bundled with dfpack)")
    return parser.parse_args()


def rows(count: int) -> pa.Table:
    ids = pa.array(range(count), pa.int64())
    return pa.table(
        {
            "id": ids,
            "day": pa.array([i % 10 for i in range(count)], pa.int32()),
            "v": pa.array([i * 7 % 1000 for i in range(count)], pa.int64()),
            "f": pa.array([i / 3.0 for i in range(count)], pa.float64()),
            "s": pa.array([f"event-{i:09}" for i in range(count)], pa.string()),
        }
    )


def main() -> None:
    args = parse_args()
    data = rows(args.rows)
    work = Path(tempfile.mkdtemp(prefix="dfpack-write-bench-"))
    table_dir = lambda side, run: work / f"{side}-{run}"  # noqa: E731
    config = {"datasets": {f"w{run}": {"table_uri": str(table_dir("pack", run))} for run in range(args.runs + 1)}}
    pack = dfpack.load(args.pack, config=config) if args.pack else dfpack.load(config=config)
    ctx = datafusion.SessionContext(dfpack.session_config())
    pack.install(ctx)
    ctx.register_record_batches("src", [data.to_batches(max_chunksize=BATCH_ROWS)])

    pack_samples: list[float] = []
    lake_samples: list[float] = []
    for run in range(args.runs + 1):
        for side in ("pack", "lake"):
            deltalake.write_deltalake(str(table_dir(side, run)), data.schema.empty_table())
        start = time.perf_counter()
        written = ctx.sql(f"INSERT INTO delta.default.w{run} SELECT * FROM src").to_pylist()
        pack_time = time.perf_counter() - start
        if written[0]["count"] != args.rows:
            raise SystemExit(f"the pack reported {written[0]['count']} rows written, not {args.rows}")

        start = time.perf_counter()
        deltalake.write_deltalake(str(table_dir("lake", run)), data, mode="append")
        lake_time = time.perf_counter() - start
        if run > 0:
            pack_samples.append(pack_time)
            lake_samples.append(lake_time)

    back = ctx.sql("SELECT count(*) AS n FROM delta.default.w1").to_pylist()[0]["n"]
    if back != args.rows:
        raise SystemExit(f"read back {back} rows from a table the pack wrote, not {args.rows}")
    # Counted by the pack: deltalake 1.6.6's to_pyarrow_table() sometimes aborts
    # the interpreter at exit ("terminate called without an active exception",
    # seen 1 in 10 runs with no dfpack loaded at all).
    lake_rows = ctx.sql(f"SELECT count(*) AS n FROM read_delta('{table_dir('lake', 1)}')").to_pylist()[0]["n"]
    if lake_rows != args.rows:
        raise SystemExit(f"deltalake wrote {lake_rows} rows, not {args.rows}")

    pack_ms, lake_ms = statistics.median(pack_samples) * 1000, statistics.median(lake_samples) * 1000
    print(f"rows: {args.rows}, runs: {args.runs} (median, interleaved), a new table per run")
    print(f"python {sys.version.split()[0]}, datafusion {datafusion.__version__}, "
          f"deltalake {deltalake.__version__}, dfpack {dfpack.__version__}")
    print("\n| writer | ms | rows/s | pack throughput / this |\n|---|---:|---:|---:|")
    print(f"| deltalake {deltalake.__version__} `write_deltalake` | {lake_ms:.1f} | {args.rows / lake_ms * 1000:.0f} | "
          f"{lake_ms / pack_ms:.3f} |")
    print(f"| pack, `INSERT INTO` (datafusion-python) | {pack_ms:.1f} | {args.rows / pack_ms * 1000:.0f} | 1.000 |")


if __name__ == "__main__":
    main()
