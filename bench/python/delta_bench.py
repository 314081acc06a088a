"""Delta benchmarks from Python, as ratios from one run on one machine.

The same table and queries as ``delta-bench`` (bench/src/delta_bench.rs), which
generates the table: run it first (``scripts/measure.sh`` does). Compared, in
one process, runs interleaved, medians reported:

- the pack (libdfpack.so through the ``dfpack`` package) in a datafusion 55
  ``SessionContext``: its ``delta`` catalog from a pack config
  (``dfpack.load(config=...)``) when this dfpack has it, else ``read_delta(path)``;
- ``deltalake`` (delta-rs' Python package) in the same ``SessionContext``: its
  ``DeltaTable`` as a table provider (``ctx.register_table``) when its FFI
  capsule works with this datafusion (probed in a child process first: a
  capsule of another datafusion major crashes instead of failing), else
  ``dt.to_pyarrow_dataset()`` through ``ctx.register_dataset``;
- ``polars.scan_delta(path)`` with the same query as a lazy frame, ``.collect()``;
- as a reference, DataFusion's own parquet reading (a ListingTable through
  ``ctx.register_parquet``) of the same files, in the same ``SessionContext``.

Then table resolution: ``deltalake.DeltaTable(path)`` vs the pack's first
(cold) and second (warm) query of a new session.

usage: delta_bench.py [--rows N] [--commits N] [--runs N] [--data DIR] [--table PATH] [--pack PATH]

Run it in the bench venv (bench/python/setup_venv.sh).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import datafusion
import deltalake
import dfpack
import polars as pl
import pyarrow as pa

DAYS = 10


def parse_args() -> argparse.Namespace:
    data = os.environ.get("DFPACK_BENCH_DATA") or str(Path.home() / ".cache/dfpack/bench-data")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--commits", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", default=data, help="where delta-bench caches its tables")
    parser.add_argument("--table", help="the table (default: delta-bench's table for --rows/--commits)")
    parser.add_argument("--pack", help="libdfpack.so (default: the one bundled with dfpack)")
    return parser.parse_args()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def compare(sides: list[tuple[str, object]], runs: int) -> list[list[float]]:
    """Each side's samples (seconds), runs interleaved, after one warm-up each.

    Each round runs the sides in a new order (seeded, so reruns repeat it):
    a side that runs right after polars is slowed by its worker threads, still
    spinning on this 2-core machine, so no side may always follow it."""
    for _, fn in sides:
        fn()
    samples: list[list[float]] = [[] for _ in sides]
    order = list(range(len(sides)))
    shuffle = random.Random(20261122).shuffle
    for _ in range(runs):
        shuffle(order)
        for index in order:
            samples[index].append(timed(sides[index][1]))
    return samples


def paired_ratios(other: list[float], pack: list[float]) -> tuple[float, float, float, float]:
    """other / pack within each interleaved round (drift on a shared machine hits
    both sides of a round alike): the median, the quartiles, and the share of
    rounds the pack won."""
    ratios = sorted(o / p for o, p in zip(other, pack))

    def at(quantile: float) -> float:
        # Nearest rank, as the Rust benches (dfpack_bench::PairedRatio) take it.
        return ratios[round((len(ratios) - 1) * quantile)]

    return at(0.5), at(0.25), at(0.75), sum(r > 1.0 for r in ratios) / len(ratios)


# --- the pack ---------------------------------------------------------------

def has_config_loading() -> bool:
    try:
        return "config" in inspect.signature(dfpack.load).parameters
    except (TypeError, ValueError):
        return False


class PackSide:
    """The pack in a SessionContext: the `delta` catalog of a pack config, or read_delta."""

    def __init__(self, table: str, pack_path: str | None) -> None:
        self.table_path = table
        self.pack_path = pack_path
        self.via_config = has_config_loading()
        self.config = {"datasets": {"t": {"table_uri": table}}}
        self._config_file: str | None = None
        self.ref = "delta.default.t" if self.via_config else f"read_delta('{table}')"
        self.pack = self._load()

    def _load(self):
        if not self.via_config:
            return dfpack.load(self.pack_path)
        try:
            return dfpack.load(self.pack_path, config=self.config)
        except TypeError:
            # A config given as a TOML file path.
            if self._config_file is None:
                fd, self._config_file = tempfile.mkstemp(suffix=".toml")
                with os.fdopen(fd, "w") as f:
                    f.write(f"[datasets.t]\ntable_uri = {json.dumps(self.table_path)}\n")
            return dfpack.load(self.pack_path, config=self._config_file)

    def describe(self) -> str:
        if self.via_config:
            return "dfpack.load(config=...) + pack.install(ctx): delta.default.t"
        return "dfpack.load() + pack.install(ctx): read_delta(path) (this dfpack has no load(config=...) yet)"

    def install(self, ctx: datafusion.SessionContext) -> None:
        """Installs the pack into `ctx`; with a config, a fresh pack config env (nothing cached)."""
        pack = self._load() if self.via_config else self.pack
        pack.install(ctx)

    def last_scan(self, ctx: datafusion.SessionContext) -> tuple[int, int, str]:
        rows = ctx.sql(
            "SELECT files, bytes, array_to_string(filters, ' AND ') AS filters "
            "FROM pack_delta_scans() ORDER BY seq DESC LIMIT 1"
        ).to_pylist()
        if not rows:
            raise RuntimeError("pack_delta_scans() recorded no scan")
        return rows[0]["files"], rows[0]["bytes"], rows[0]["filters"]


# --- deltalake ----------------------------------------------------------------

PROBE = """
import sys, datafusion, deltalake
ctx = datafusion.SessionContext()
ctx.register_table("t", deltalake.DeltaTable(sys.argv[1]))
print(ctx.sql("SELECT count(*) AS n, sum(v) AS sv FROM t").to_pylist()[0])
"""


def deltalake_provider_works(table: str, expected: dict) -> tuple[bool, str]:
    """Whether deltalake's FFI table provider works with this datafusion: tried in a
    child process, since a capsule built for another datafusion major crashes it."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, table], capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        why = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        return False, f"the probe failed ({why})"
    got = result.stdout.strip()
    if got != str(expected):
        return False, f"the probe answered {got}, expected {expected}"
    return True, "works"


# --- main -------------------------------------------------------------------

def main() -> int:
    args = parse_args()
    table = args.table or str(Path(args.data) / f"delta-bench-{args.rows}rows-{args.commits}commits")
    if not (Path(table) / "_delta_log").is_dir():
        print(f"delta_bench.py: no table at {table}: run delta-bench (with the same --rows/--commits) first",
              file=sys.stderr)
        return 2
    table = str(Path(table).resolve())

    pack = PackSide(table, args.pack)
    ctx = datafusion.SessionContext()
    pack.install(ctx)

    dt = deltalake.DeltaTable(table)
    total = ctx.sql(f"SELECT count(*) AS n, sum(v) AS sv FROM {pack.ref}").to_pylist()[0]
    provider_ok, why = deltalake_provider_works(table, total)
    if provider_ok:
        ctx.register_table("dl", dt)
        deltalake_path = "DeltaTable registered as a table provider (FFI capsule, ctx.register_table)"
    else:
        ctx.register_dataset("dl", dt.to_pyarrow_dataset())
        deltalake_path = f"dt.to_pyarrow_dataset() via ctx.register_dataset (the FFI provider: {why})"

    # DataFusion's own parquet reading of the same files, as a reference: the
    # table only ever appended, so its directory holds exactly the active files.
    ctx.register_parquet("listing", table, table_partition_cols=[("day", pa.int32())], file_extension=".parquet")

    lo, hi = args.rows * 395 // 1000, args.rows * 405 // 1000
    full = "SELECT day, count(*), sum(v), avg(f) FROM {t} GROUP BY day"
    selective = f"SELECT count(*), sum(v), avg(f) FROM {{t}} WHERE day = 3 AND id BETWEEN {lo} AND {hi}"
    lazy = pl.scan_delta(table)
    polars_full = lazy.group_by("day").agg(pl.len(), pl.col("v").sum(), pl.col("f").mean())
    polars_selective = lazy.filter((pl.col("day") == 3) & pl.col("id").is_between(lo, hi)).select(
        pl.len(), pl.col("v").sum(), pl.col("f").mean()
    )

    # Every side must give the same answer (avg rounded: summation order differs).
    def datafusion_answer(ref: str, sql: str) -> list[tuple]:
        batches = ctx.sql(sql.replace("{t}", ref)).to_pylist()
        return sorted((int(r["day"]) if "day" in r else None, r["n"], r["sv"], round(r["af"], 6)) for r in batches)

    def polars_answer(frame: pl.LazyFrame, grouped: bool) -> list[tuple]:
        rows = frame.collect().rows()
        return sorted((int(r[0]) if grouped else None, *(r[1:] if grouped else r)) for r in rows)

    checks = [
        ("SELECT day, count(*) AS n, sum(v) AS sv, avg(f) AS af FROM {t} GROUP BY day", polars_full, True),
        (selective.replace("count(*), sum(v), avg(f)", "count(*) AS n, sum(v) AS sv, avg(f) AS af"), polars_selective, False),
    ]
    for sql, frame, grouped in checks:
        expected = datafusion_answer(pack.ref, sql)
        got_dl = datafusion_answer("dl", sql)
        got_listing = datafusion_answer("listing", sql)
        got_pl = [(d, n, sv, round(af, 6)) for d, n, sv, af in polars_answer(frame, grouped)]
        if got_dl != expected or got_pl != expected or got_listing != expected:
            print(f"answers differ on {sql}:\npack {expected}\ndeltalake {got_dl}\npolars {got_pl}"
                  f"\nListingTable {got_listing}", file=sys.stderr)
            return 1

    print(f"table: {table} (version {dt.version()}, {args.rows} rows, {len(dt.file_uris())} active files)")
    print(f"python {sys.version.split()[0]}, datafusion {datafusion.__version__}, deltalake {deltalake.__version__}, "
          f"polars {pl.__version__}, dfpack {dfpack.__version__} ({pack.pack.path})")
    print(f"pack: {pack.describe()}")
    print(f"deltalake: {deltalake_path}")
    print("ListingTable: ctx.register_parquet over the table's directory (its files are the active ones), a reference")
    print(f"runs: {args.runs} (interleaved, in a shuffled order each round; times are medians; a ratio is the median of the runs' own"
          " ratios, other / pack within one run, with its quartiles and the share of runs the pack won)")
    print("\n| query | pack ms | deltalake ms | polars ms | ListingTable ms | deltalake / pack | polars / pack"
          " | polars / pack quartiles | runs the pack beat polars | pack fastest | ListingTable / pack |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|---|---:|")
    for name, sql, frame in [
        ("full scan + aggregate", full, polars_full),
        ("day = 3 AND id BETWEEN (selective)", selective, polars_selective),
    ]:
        pack_s, dl_s, pl_s, listing_s = compare(
            [
                ("pack", lambda sql=sql: ctx.sql(sql.replace("{t}", pack.ref)).collect()),
                ("deltalake", lambda sql=sql: ctx.sql(sql.replace("{t}", "dl")).collect()),
                ("polars", lambda frame=frame: frame.collect()),
                ("listing", lambda sql=sql: ctx.sql(sql.replace("{t}", "listing")).collect()),
            ],
            args.runs,
        )
        dl_ratio, _, _, _ = paired_ratios(dl_s, pack_s)
        pl_ratio, pl_q1, pl_q3, pl_won = paired_ratios(pl_s, pack_s)
        listing_ratio, _, _, _ = paired_ratios(listing_s, pack_s)
        fastest = "yes (met)" if dl_ratio > 1.0 and pl_ratio > 1.0 else "no (NOT met)"
        print(f"| {name} | {median_ms(pack_s):.1f} | {median_ms(dl_s):.1f} | {median_ms(pl_s):.1f}"
              f" | {median_ms(listing_s):.1f} | {dl_ratio:.3f} | {pl_ratio:.3f} | {pl_q1:.3f}-{pl_q3:.3f}"
              f" | {pl_won:.0%} | {fastest} | {listing_ratio:.3f} |")

    ctx.sql(selective.replace("{t}", pack.ref)).collect()
    files, nbytes, filters = pack.last_scan(ctx)
    print(f"\nselective query, pack's scan: {files} files, {nbytes} bytes (filters: {filters})")

    # Table resolution.
    runs = max(args.runs, 5)
    resolve = f"SELECT * FROM {pack.ref} LIMIT 0"
    opens, colds, warms = [], [], []
    for _ in range(runs):
        opens.append(timed(lambda: deltalake.DeltaTable(table)))
        if pack.via_config:
            fresh = datafusion.SessionContext()
            pack.install(fresh)
            colds.append(timed(lambda: fresh.sql(resolve).collect()))
            warms.append(timed(lambda: fresh.sql(resolve).collect()))
    print(f"\n| table resolution (median of {runs}) | ms |\n|---|---:|")
    print(f"| deltalake.DeltaTable(path) | {median_ms(opens):.2f} |")
    if pack.via_config:
        print(f"| pack: first query of a new session, `SELECT * FROM t LIMIT 0` (cold) | {median_ms(colds):.2f} |")
        print(f"| pack: second query (warm, cached snapshot) | {median_ms(warms):.2f} |")
    else:
        warm = median_ms([timed(lambda: ctx.sql(resolve).collect()) for _ in range(runs)])
        print(f"| pack: read_delta, warm (the pack's functions share one cache per process: no cold figure) | {warm:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
