"""Delta tables in datafusion-python: the pack's catalog, its DELTATABLE factory,
read_delta and the introspection functions, against the real datafusion 55.0.0
wheel, the real libdfpack.so and the real tables of shared/delta-tables.

What a read should return is computed here without the pack (and without the
`deltalake` package): the log's JSON commits are replayed to find a version's
data files, and those files are read with pyarrow.parquet.
"""

from __future__ import annotations

import datetime
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import rows
from datafusion import SessionContext, udf
from datafusion.catalog import Catalog

import dfpack
from dfpack.contracts import SnapshotInfo

# --- what a table holds, computed without the pack -------------------------------


class Replayed(NamedTuple):
    """A version of a table as its JSON commits define it."""

    version: int
    adds: dict[str, dict[str, Any]]  # active add actions by (URL-decoded) path
    metadata: dict[str, Any]
    protocol: dict[str, Any]
    commits: dict[int, dict[str, Any]]  # commitInfo by version

    @property
    def fields(self) -> list[dict[str, Any]]:
        return json.loads(self.metadata["schemaString"])["fields"]


def commit_versions(root: Path) -> list[int]:
    """The versions whose commit file is in the log (not checkpoints, not _delta_log/.tmp)."""
    return sorted(
        int(path.name[:20])
        for path in (root / "_delta_log").iterdir()
        if re.fullmatch(r"\d{20}\.json", path.name)
    )


def replay(root: Path, version: int | None = None) -> Replayed:
    """Replays the JSON commits 0..version (every table used here keeps all of them)."""
    versions = commit_versions(root)
    assert versions == list(range(len(versions))), f"{root}: the log is missing commits"
    version = versions[-1] if version is None else version
    adds: dict[str, dict[str, Any]] = {}
    metadata: dict[str, Any] = {}
    protocol: dict[str, Any] = {}
    commits: dict[int, dict[str, Any]] = {}
    for v in range(version + 1):
        for line in (root / "_delta_log" / f"{v:020}.json").read_text().splitlines():
            if not line.strip():
                continue
            action = json.loads(line)
            if "add" in action:
                adds[unquote(action["add"]["path"])] = action["add"]
            elif "remove" in action:
                adds.pop(unquote(action["remove"]["path"]), None)
            elif "metaData" in action:
                metadata = action["metaData"]
            elif "protocol" in action:
                protocol = action["protocol"]
            elif "commitInfo" in action:
                commits[v] = action["commitInfo"]
    return Replayed(version, adds, metadata, protocol, commits)


def normalize(value: Any) -> Any:
    """Timestamps as naive UTC (the pack gives Delta timestamps a UTC zone; Spark's
    parquet files store them without one)."""
    if isinstance(value, datetime.datetime) and value.utcoffset() is not None:
        return (value - value.utcoffset()).replace(tzinfo=None)
    return value


def expected_rows(root: Path, version: int | None = None) -> list[tuple]:
    """Every row of a version of a table without deletion vectors, columns in schema
    order under their logical names, sorted: the data files read with pyarrow."""
    replayed = replay(root, version)
    partition_columns = set(replayed.metadata["partitionColumns"])
    out: list[tuple] = []
    for add in replayed.adds.values():
        assert not add.get("deletionVector"), "expected_rows does not apply deletion vectors"
        table = pq.read_table(root / unquote(add["path"]))
        columns = []
        for field in replayed.fields:
            physical = field["metadata"].get("delta.columnMapping.physicalName", field["name"])
            if field["name"] in partition_columns:
                assert field["type"] == "string", "only string partition values are decoded here"
                columns.append([add["partitionValues"].get(physical)] * table.num_rows)
                continue
            column = table.column(physical)
            if pa.types.is_timestamp(column.type):
                column = column.cast(pa.timestamp("us", column.type.tz), safe=False)
            columns.append(column.to_pylist())
        out.extend(tuple(normalize(v) for v in row) for row in zip(*columns))
    return sorted(out, key=repr)


def read(ctx: SessionContext, sql: str) -> list[tuple]:
    """The rows of a query, as expected_rows shapes them."""
    return sorted((tuple(normalize(v) for v in row) for row in rows(ctx, sql)), key=repr)


def quoted_columns(root: Path) -> str:
    return ", ".join(f'"{field["name"]}"' for field in replay(root).fields)


def scalar(ctx: SessionContext, sql: str) -> Any:
    [[value]] = rows(ctx, sql)
    return value


def datasets(**tables: Any) -> dict[str, Any]:
    """A pack config whose datasets are `name=uri` or `name=(uri, {options})`."""
    out = {}
    for name, table in tables.items():
        uri, options = table if isinstance(table, tuple) else (table, {})
        out[name] = {"table_uri": str(uri), **options}
    return {"datasets": out}


# --- reads through the catalog ---------------------------------------------------


@pytest.mark.parametrize(
    "table", ["delta-0.8.0-partitioned", "table_with_column_mapping", "checkpoint-v2-table"]
)
def test_catalog_reads_what_the_data_files_hold(delta_ctx, delta_tables, table):
    root = delta_tables / table
    ctx = delta_ctx(datasets(t=root))
    expected = expected_rows(root)
    assert expected, "the table has rows"
    assert read(ctx, f"SELECT {quoted_columns(root)} FROM delta.default.t") == expected
    # The same through read_delta, and the file list the log gives.
    assert read(ctx, f"SELECT {quoted_columns(root)} FROM read_delta('{root}')") == expected
    listed = {path for [path] in rows(ctx, f"SELECT path FROM delta_add_actions('{root}')")}
    assert listed == set(replay(root).adds)


def test_column_mapping_shows_logical_names(delta_ctx, delta_tables):
    root = delta_tables / "table_with_column_mapping"
    ctx = delta_ctx(datasets(mapped=root))
    names = ctx.sql("SELECT * FROM delta.default.mapped").schema().names
    assert names == ["Company Very Short", "Super Name"]
    assert rows(
        ctx,
        'SELECT "Super Name" FROM delta.default.mapped '
        "WHERE \"Company Very Short\" = 'BME'",
    ) == [[name] for (company, name) in expected_rows(root) if company == "BME"]


def test_deletion_vectors_hide_the_deleted_rows(delta_ctx, delta_tables):
    root = delta_tables / "table-with-dv-small"
    ctx = delta_ctx(datasets(dv=root))
    [add] = replay(root).adds.values()
    assert add["deletionVector"], "the file has a deletion vector"
    raw = pq.read_table(root / add["path"]).column("value").to_pylist()
    metrics = [
        json.loads(m)
        for [m] in rows(ctx, f"SELECT operation_metrics FROM delta_history('{root}')")
        if m is not None
    ]
    deleted = sum(int(m.get("numDeletedRows", 0)) for m in metrics)
    assert deleted == 2
    assert scalar(ctx, "SELECT count(*) FROM delta.default.dv") == len(raw) - deleted
    # The DELETE's predicate (in the log): value IN (0, 9).
    assert [v for [v] in rows(ctx, "SELECT value FROM delta.default.dv ORDER BY value")] == sorted(
        v for v in raw if v not in (0, 9)
    )
    assert rows(
        ctx, f"SELECT num_records, deletion_vector FROM delta_add_actions('{root}')"
    ) == [[len(raw), True]]


# --- the protocol gate -----------------------------------------------------------


def test_a_refused_dataset_is_listed_but_not_read(delta_ctx, delta_tables):
    widened = delta_tables / "type-widening"
    simple = delta_tables / "simple_table"
    ctx = delta_ctx(datasets(widened=widened, simple=simple))
    assert ["delta", "default", "widened", "BASE TABLE"] in rows(ctx, "SHOW TABLES")

    with pytest.raises(Exception) as refused:
        ctx.sql("SELECT * FROM delta.default.widened").collect()
    assert dfpack.classify(refused.value) is dfpack.ProtocolGateError
    message = str(refused.value)
    assert "typeWidening-preview" in message
    assert "'widened'" in message and str(widened) in message

    # read_delta holds the table against the same (default) gate.
    with pytest.raises(Exception) as refused:
        ctx.sql(f"SELECT * FROM read_delta('{widened}')").collect()
    assert dfpack.classify(refused.value) is dfpack.ProtocolGateError

    # The session goes on.
    assert read(ctx, "SELECT id FROM delta.default.simple") == expected_rows(simple)
    assert rows(ctx, "SELECT stable_hash64('hello')") == [[4410968288181109294]]


def test_the_gate_judges_the_version_read(delta_ctx, delta_tables):
    # type-widening moves to reader 3 [typeWidening-preview] at version 1; version 0 is plain.
    root = delta_tables / "type-widening"
    assert replay(root, 0).protocol == {"minReaderVersion": 1, "minWriterVersion": 2}
    ctx = delta_ctx(datasets(v0=(root, {"version": 0})))
    assert scalar(ctx, "SELECT count(*) FROM delta.default.v0") == 1
    assert scalar(ctx, f"SELECT count(*) FROM read_delta('{root}', 0)") == 1


def test_a_dataset_requirement_the_table_does_not_meet(delta_ctx, delta_tables):
    requires_dv = {"gate": {"required_reader_features": ["deletionVectors"]}}
    ctx = delta_ctx(
        datasets(
            simple=(delta_tables / "simple_table", requires_dv),
            dv=(delta_tables / "table-with-dv-small", requires_dv),
        )
    )
    with pytest.raises(Exception) as refused:
        ctx.sql("SELECT * FROM delta.default.simple").collect()
    assert dfpack.classify(refused.value) is dfpack.ProtocolGateError
    assert "required reader features absent: deletionVectors" in str(refused.value)
    assert scalar(ctx, "SELECT count(*) FROM delta.default.dv") == 8


# --- versions ---------------------------------------------------------------------


def test_a_pinned_dataset_and_read_delta_agree(delta_ctx, delta_tables):
    root = delta_tables / "simple_table"
    ctx = delta_ctx(datasets(pinned=(root, {"version": 2}), latest=root))
    pinned = read(ctx, "SELECT id FROM delta.default.pinned")
    assert pinned == read(ctx, f"SELECT id FROM read_delta('{root}', 2)")
    assert pinned == expected_rows(root, 2)
    latest = read(ctx, "SELECT id FROM delta.default.latest")
    assert latest == expected_rows(root) != pinned


def append_commit(root: Path, ids: list[int]) -> int:
    """Commits one new data file of `ids` to simple_table's copy, as a writer would:
    the parquet file first, then the next commit file. Returns the new version."""
    version = commit_versions(root)[-1] + 1
    name = f"part-00000-{uuid.uuid4()}-c000.snappy.parquet"
    pq.write_table(pa.table({"id": pa.array(ids, pa.int64())}), root / name, compression="snappy")
    now = int(time.time() * 1000)
    actions = [
        {
            "commitInfo": {
                "timestamp": now,
                "operation": "WRITE",
                "operationParameters": {"mode": "Append", "partitionBy": "[]"},
                "readVersion": version - 1,
                "isBlindAppend": True,
            }
        },
        {
            "add": {
                "path": name,
                "partitionValues": {},
                "size": (root / name).stat().st_size,
                "modificationTime": now,
                "dataChange": True,
                "stats": json.dumps({"numRecords": len(ids)}),
            }
        },
    ]
    # Written aside and renamed in, so no reader sees half a commit.
    staged = root / f".commit-{uuid.uuid4()}.json"
    staged.write_text("".join(json.dumps(a) + "\n" for a in actions))
    staged.rename(root / "_delta_log" / f"{version:020}.json")
    return version


def test_a_new_commit_is_seen_by_the_next_query(delta_ctx, delta_copy):
    root = delta_copy("simple_table")
    latest = commit_versions(root)[-1]
    ctx = delta_ctx(datasets(live=root, pinned=(root, {"version": latest})))
    before = expected_rows(root)
    assert read(ctx, "SELECT id FROM delta.default.live") == before
    assert read(ctx, "SELECT id FROM delta.default.pinned") == before

    new = [100, 101, 102, 103, 104]
    version = append_commit(root, new)
    after = expected_rows(root)
    assert after == sorted(before + [(i,) for i in new], key=repr)

    assert scalar(ctx, "SELECT count(*) FROM delta.default.live") == len(before) + len(new)
    assert read(ctx, "SELECT id FROM delta.default.live") == after
    assert read(ctx, "SELECT id FROM delta.default.pinned") == before
    assert read(ctx, f"SELECT id FROM read_delta('{root}')") == after
    assert scalar(ctx, f"SELECT version FROM delta_snapshot('{root}')") == version
    assert rows(ctx, f"SELECT version, operation FROM delta_history('{root}', 1)") == [
        [version, "WRITE"]
    ]


# --- CREATE EXTERNAL TABLE ... STORED AS DELTATABLE ----------------------------------


def test_create_external_table(delta_ctx, delta_tables):
    root = delta_tables / "simple_table"
    ctx = delta_ctx()
    ctx.sql(f"CREATE EXTERNAL TABLE simple STORED AS DELTATABLE LOCATION '{root}'").collect()
    assert read(ctx, "SELECT id FROM simple") == expected_rows(root)
    # Into the pack's catalog too: it sits beside the configured datasets.
    ctx.sql(
        f"CREATE EXTERNAL TABLE delta.default.simple STORED AS DELTATABLE LOCATION '{root}'"
    ).collect()
    assert ["delta", "default", "simple", "BASE TABLE"] in rows(ctx, "SHOW TABLES")
    assert read(ctx, "SELECT id FROM delta.default.simple") == expected_rows(root)


def test_create_external_table_at_a_version(delta_ctx, delta_tables):
    root = delta_tables / "simple_table"
    ctx = delta_ctx()
    ctx.sql(
        f"CREATE EXTERNAL TABLE v1 STORED AS DELTATABLE LOCATION '{root}' OPTIONS ('version' '1')"
    ).collect()
    assert read(ctx, "SELECT id FROM v1") == expected_rows(root, 1)


def test_create_external_table_with_a_bad_option(delta_ctx, delta_tables):
    ctx = delta_ctx()
    with pytest.raises(Exception) as refused:
        ctx.sql(
            f"CREATE EXTERNAL TABLE t STORED AS DELTATABLE "
            f"LOCATION '{delta_tables / 'simple_table'}' OPTIONS ('colour' 'red')"
        ).collect()
    assert dfpack.classify(refused.value) is dfpack.ConfigError
    assert "colour" in str(refused.value)
    assert rows(ctx, "SELECT 1") == [[1]]


# --- the pack config ----------------------------------------------------------------


def test_a_config_with_three_errors_is_refused_with_every_path():
    config = {
        "datasets": {
            "x": {"table_uri": 3, "gate": {"min_reader_version": 9}, "colour": "red"},
        }
    }
    with pytest.raises(dfpack.ConfigError) as refused:
        dfpack.load(config=config)
    message = str(refused.value)
    assert message.startswith("[dfpack:config] 3 errors")
    for path in ("datasets.x.table_uri", "datasets.x.gate.min_reader_version", "datasets.x.colour"):
        assert f"\n  {path}: " in message, message
    assert dfpack.classify(refused.value) is dfpack.ConfigError


def test_config_files(delta_ctx, delta_tables, tmp_path):
    root = delta_tables / "simple_table"
    toml = tmp_path / "pack.toml"
    toml.write_text(
        f'[catalog]\nname = "lake"\nschemas = ["raw"]\n\n'
        f'[datasets.simple]\nschema = "raw"\ntable_uri = "{root}"\nversion = 2\n'
    )
    pack = dfpack.load(config=toml)
    assert (pack.catalog_name, pack.table_format) == ("lake", "DELTATABLE")
    assert pack.config == toml.read_text() and pack.config_path == toml
    ctx = SessionContext()
    pack.install(ctx)
    assert read(ctx, "SELECT id FROM lake.raw.simple") == expected_rows(root, 2)

    as_json = tmp_path / "pack.json"
    as_json.write_text(json.dumps(datasets(simple=root)))
    ctx = delta_ctx(str(as_json))
    assert read(ctx, "SELECT id FROM delta.default.simple") == expected_rows(root)


def test_config_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[datasets.x]\ntable_uri = "/t"\nversion = -1\n[cache]\nrefresh = "sometimes"\n')
    with pytest.raises(dfpack.ConfigError) as refused:
        dfpack.load(config=bad)
    message = str(refused.value)
    assert message.startswith(f"[dfpack:config] pack config '{bad}': 2 errors"), message
    assert "datasets.x.version" in message and "cache.refresh" in message

    with pytest.raises(dfpack.ConfigError, match="cannot read pack config"):
        dfpack.load(config=tmp_path / "missing.toml")
    (tmp_path / "pack.yaml").write_text("catalog: {}\n")
    with pytest.raises(dfpack.ConfigError, match=r"expected a \.toml or a \.json file"):
        dfpack.load(config=tmp_path / "pack.yaml")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(dfpack.ConfigError, match="a JSON pack config is an object"):
        dfpack.load(config=tmp_path / "list.json")
    with pytest.raises(TypeError):
        dfpack.load(config=42)


def test_dict_configs(delta_tables):
    root = delta_tables / "simple_table"
    pack = dfpack.load(config={"datasets": {"simple": {"table_uri": root, "version": 1}}})
    assert pack.config == {"datasets": {"simple": {"table_uri": str(root), "version": 1}}}
    assert pack.config_path is None
    with pytest.raises(dfpack.ConfigError, match=r"table_uri: a value of type object"):
        dfpack.load(config={"datasets": {"simple": {"table_uri": object()}}})

    default = dfpack.load()
    assert default.config is None and default.catalog_name == "delta"
    ctx = SessionContext()
    default.install(ctx)
    assert {"datafusion", "delta"} <= set(ctx.catalog_names())
    assert rows(ctx, "SELECT schema_name FROM delta.information_schema.schemata "
                     "WHERE catalog_name = 'delta' AND schema_name = 'default'") == [["default"]]


def test_a_pack_without_a_catalog(fixture_copy):
    fixture = dfpack.load(fixture_copy)
    assert (fixture.catalog_name, fixture.table_format, fixture.catalog_provider()) == (
        None,
        None,
        None,
    )
    ctx = SessionContext()
    assert fixture.install(ctx)
    assert ctx.catalog_names() == {"datafusion"}
    with pytest.raises(dfpack.ConfigError, match="serves no catalog"):
        dfpack.load(fixture_copy, config={"catalog": {"name": "lake"}})


# --- install: the catalog is part of the transaction -----------------------------------


def routines(ctx: SessionContext) -> set[str]:
    return {name for [name] in rows(ctx, "SELECT routine_name FROM information_schema.routines")}


def test_a_taken_catalog_name_installs_nothing(delta_tables):
    ctx = SessionContext()
    ctx.register_catalog_provider("delta", Catalog.memory_catalog())
    pack = dfpack.load()
    with pytest.raises(dfpack.NameConflictError) as refused:
        pack.install(ctx)
    message = str(refused.value)
    assert "a catalog named 'delta'" in message and "nothing was installed" in message
    assert "[catalog] name" in message

    assert "stable_hash64" not in ctx.udfs()
    assert not {"read_delta", "delta_history", "pack_manifest"} & routines(ctx)
    with pytest.raises(Exception, match="Unable to find factory for DELTATABLE"):
        ctx.sql(
            f"CREATE EXTERNAL TABLE t STORED AS DELTATABLE "
            f"LOCATION '{delta_tables / 'simple_table'}'"
        ).collect()

    # The same pack with its catalog named otherwise installs, whole.
    lake = dfpack.load(config={"catalog": {"name": "lake"}})
    assert "read_delta" in lake.install(ctx)
    assert "lake" in ctx.catalog_names()
    assert "stable_hash64" in ctx.udfs()


def test_installing_twice_keeps_the_catalog(delta_tables):
    root = delta_tables / "simple_table"
    pack = dfpack.load(config=datasets(simple=root))
    ctx = SessionContext()
    assert pack.install(ctx)
    assert pack.install(ctx) == ()
    # The same file with the same config is the same pack.
    assert dfpack.load(config=datasets(simple=root)).install(ctx) == ()
    assert read(ctx, "SELECT id FROM delta.default.simple") == expected_rows(root)

    # Another config naming the same catalog is refused, naming the pack file.
    other = dfpack.load(config=datasets(simple=(root, {"version": 1})))
    with pytest.raises(dfpack.NameConflictError, match="with another pack config"):
        other.install(ctx)
    # Another catalog name from the same pack adds only its catalog.
    lake = dfpack.load(config={"catalog": {"name": "lake"}, **datasets(v1=(root, {"version": 1}))})
    assert lake.install(ctx) == ()
    assert read(ctx, "SELECT id FROM lake.default.v1") == expected_rows(root, 1)
    assert read(ctx, "SELECT id FROM delta.default.simple") == expected_rows(root)


def test_each_context_gets_its_own_catalog(delta_tables):
    root = delta_tables / "simple_table"
    pack = dfpack.load(config=datasets(simple=root))
    first, second = SessionContext(), SessionContext()
    pack.install(first)
    pack.install(second)
    first.sql(
        f"CREATE EXTERNAL TABLE delta.default.extra STORED AS DELTATABLE LOCATION '{root}'"
    ).collect()
    listed = "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'delta'"
    assert ["extra"] in rows(first, listed)
    assert ["extra"] not in rows(second, listed)
    assert read(second, "SELECT id FROM delta.default.simple") == expected_rows(root)


def test_registering_the_catalog_by_hand(delta_tables):
    root = delta_tables / "simple_table"
    configured = dfpack.load(config=datasets(simple=root))
    ctx = SessionContext()
    ctx.register_catalog_provider(configured.catalog_name, configured.catalog_provider())
    ctx.register_table_factory(configured.table_format, configured.table_factory())
    assert read(ctx, "SELECT id FROM delta.default.simple") == expected_rows(root)
    ctx.sql(f"CREATE EXTERNAL TABLE t STORED AS DELTATABLE LOCATION '{root}'").collect()
    assert read(ctx, "SELECT id FROM t") == expected_rows(root)


# --- introspection ---------------------------------------------------------------------


def test_delta_snapshot(delta_ctx, delta_tables):
    root = delta_tables / "checkpoint-v2-table"
    ctx = delta_ctx()
    replayed = replay(root)
    [snapshot] = ctx.sql(f"SELECT * FROM delta_snapshot('{root}')").to_arrow_table().to_pylist()
    assert snapshot["version"] == replayed.version == commit_versions(root)[-1]
    assert snapshot["table_id"] == replayed.metadata["id"]
    assert snapshot["min_reader_version"] == replayed.protocol["minReaderVersion"]
    assert snapshot["min_writer_version"] == replayed.protocol["minWriterVersion"]
    assert snapshot["reader_features"] == replayed.protocol["readerFeatures"]
    assert set(snapshot["writer_features"]) == set(replayed.protocol["writerFeatures"])
    assert snapshot["partition_columns"] == replayed.metadata["partitionColumns"]
    schema = json.loads(snapshot["schema"])
    assert [f["name"] for f in schema["fields"]] == [f["name"] for f in replayed.fields]
    assert re.fullmatch(r"[0-9a-f]{64}", snapshot["fingerprint"])
    # The row is a SnapshotInfo payload: the generated class decodes it strictly.
    payload = dict(snapshot, schema=schema, properties=dict(snapshot["properties"]))
    if payload["commit_timestamp_ms"] is None:
        del payload["commit_timestamp_ms"]
    info = SnapshotInfo.from_dict(payload)
    assert info.version == snapshot["version"]
    assert [f.name for f in info.schema.fields] == [f["name"] for f in replayed.fields]
    again = scalar(ctx, f"SELECT fingerprint FROM delta_snapshot('{root}')")
    older = scalar(ctx, f"SELECT fingerprint FROM delta_snapshot('{root}', 8)")
    assert again == snapshot["fingerprint"] != older


def test_delta_history(delta_ctx, delta_tables):
    root = delta_tables / "simple_table"
    ctx = delta_ctx()
    replayed = replay(root)
    history = rows(ctx, f"SELECT version, operation, read_version FROM delta_history('{root}')")
    assert history == [
        [v, replayed.commits[v]["operation"], replayed.commits[v].get("readVersion")]
        for v in reversed(commit_versions(root))
    ]
    assert [r[0] for r in rows(ctx, f"SELECT version FROM delta_history('{root}', 2)")] == [4, 3]


def test_pack_delta_scans_show_partition_pruning(delta_ctx, delta_tables):
    root = delta_tables / "delta-0.8.0-partitioned"
    ctx = delta_ctx(datasets(events=root))
    last = scalar(ctx, "SELECT coalesce(max(seq), 0) FROM pack_delta_scans()")
    rows(ctx, "SELECT * FROM delta.default.events")
    rows(ctx, "SELECT value FROM delta.default.events WHERE year = '2021'")
    scans = (
        ctx.sql(
            f"SELECT * FROM pack_delta_scans() WHERE seq > {last} AND \"table\" = 'events' "
            "ORDER BY seq"
        )
        .to_arrow_table()
        .to_pylist()
    )
    assert len(scans) == 2, scans
    full, pruned = scans
    adds = replay(root).adds.values()
    assert (full["uri"], full["version"]) == (str(root), replay(root).version)
    assert (full["filters"], full["limit"]) == ([], None)
    assert full["files"] == len(adds)
    assert full["bytes"] == sum(add["size"] for add in adds)
    in_2021 = [add for add in adds if add["partitionValues"]["year"] == "2021"]
    assert pruned["files"] == len(in_2021) < full["files"]
    assert pruned["bytes"] == sum(add["size"] for add in in_2021)
    assert any("year" in f and "2021" in f for f in pruned["filters"]), pruned


def newest_scans(ctx: SessionContext, after: int) -> list[dict[str, Any]]:
    return (
        ctx.sql(f"SELECT * FROM pack_delta_scans() WHERE seq > {after} ORDER BY seq")
        .to_arrow_table()
        .to_pylist()
    )


def test_read_delta_prunes_partitions(delta_ctx, delta_tables):
    root = delta_tables / "delta-0.8.0-partitioned"
    ctx = delta_ctx()
    last = scalar(ctx, "SELECT coalesce(max(seq), 0) FROM pack_delta_scans()")
    got = read(ctx, f"SELECT * FROM read_delta('{root}') WHERE year = '2021'")
    year = [f["name"] for f in replay(root).fields].index("year")
    assert got and all(row[year] == "2021" for row in got), got
    [scan] = newest_scans(ctx, last)
    in_2021 = [a for a in replay(root).adds.values() if a["partitionValues"]["year"] == "2021"]
    assert scan["files"] == len(in_2021) < len(replay(root).adds)


def test_a_filter_on_a_python_udf_is_applied_by_datafusion(delta_ctx, delta_tables):
    root = delta_tables / "delta-0.8.0-partitioned"
    ctx = delta_ctx(datasets(events=root))
    ctx.register_udf(udf(lambda years: years, [pa.string()], pa.string(), "immutable", name="py_tag"))
    expected = sorted(read(ctx, "SELECT * FROM delta.default.events WHERE year = '2021'"))
    last = scalar(ctx, "SELECT coalesce(max(seq), 0) FROM pack_delta_scans()")
    got = sorted(read(ctx, "SELECT * FROM delta.default.events WHERE py_tag(year) = '2021'"))
    assert got == expected and len(got) == 4
    [scan] = newest_scans(ctx, last)
    assert scan["files"] == len(replay(root).adds), "the pack cannot prune with a Python function"
    assert not any("py_tag" in f for f in scan["filters"]), scan
