"""The contract rule through datafusion-python: ``Pack.install`` adds the pack's
physical optimizer rule to the context, and reads of contract-bound datasets
over real Delta tables are held to their contracts. The drifted tables are
copies of a shared table with a version written here (a commit adding a
column, or rows that break the data checks)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datafusion import SessionContext

import dfpack
from conftest import rows
from test_delta import append_commit, commit_versions


def commit_with_a_new_column(root: Path) -> int:
    """Commits a version of simple_table's copy whose schema gains a `note`
    column (a metaData action, as a schema-merging writer commits it) and one
    file holding it. Returns the new version."""
    version = commit_versions(root)[-1] + 1
    metadata = None
    for line in (root / "_delta_log" / f"{0:020}.json").read_text().splitlines():
        action = json.loads(line)
        if "metaData" in action:
            metadata = action["metaData"]
    assert metadata is not None
    schema = json.loads(metadata["schemaString"])
    schema["fields"].append({"name": "note", "type": "string", "nullable": True, "metadata": {}})
    metadata["schemaString"] = json.dumps(schema)
    name = f"part-00000-{uuid.uuid4()}-c000.snappy.parquet"
    data = pa.table({"id": pa.array([100], pa.int64()), "note": pa.array(["added"], pa.string())})
    pq.write_table(data, root / name, compression="snappy")
    now = int(time.time() * 1000)
    actions = [
        {"commitInfo": {"timestamp": now, "operation": "WRITE", "readVersion": version - 1}},
        {"metaData": metadata},
        {
            "add": {
                "path": name,
                "partitionValues": {},
                "size": (root / name).stat().st_size,
                "modificationTime": now,
                "dataChange": True,
                "stats": json.dumps({"numRecords": 1}),
            }
        },
    ]
    staged = root / f".commit-{uuid.uuid4()}.json"
    staged.write_text("".join(json.dumps(a) + "\n" for a in actions))
    staged.rename(root / "_delta_log" / f"{version:020}.json")
    return version


def contract(evolution: str, id_nullable: bool, constraints: list | None = None) -> dict:
    spec: dict = {
        "evolution": evolution,
        "schema": {"fields": [{"name": "id", "type": {"type": "int64"}, "nullable": id_nullable}]},
    }
    if constraints:
        spec["check_constraints"] = constraints
    return spec


def session(datasets: dict) -> SessionContext:
    ctx = SessionContext()
    dfpack.load(config={"datasets": datasets}).install(ctx)
    return ctx


def failure(ctx: SessionContext, sql: str) -> Exception:
    with pytest.raises(Exception) as caught:
        ctx.sql(sql).collect()
    return caught.value


def test_a_drifted_table_is_caught_under_each_policy(delta_copy):
    root = delta_copy("simple_table")
    drifted = commit_with_a_new_column(root)
    uri = str(root)
    ctx = session(
        {
            "strict": {"table_uri": uri, "contract": contract("strict", True)},
            "additive": {"table_uri": uri, "contract": contract("additive", True)},
            "relaxed": {"table_uri": uri, "contract": contract("relaxed", True)},
            "before": {"table_uri": uri, "version": drifted - 1, "contract": contract("strict", True)},
            "keyed": {"table_uri": uri, "contract": contract("additive", False)},
            "keyed_relaxed": {"table_uri": uri, "contract": contract("relaxed", False)},
        }
    )

    error = failure(ctx, "SELECT * FROM delta.default.strict")
    assert dfpack.classify(error) is dfpack.ContractViolation
    assert (
        f"[dfpack:contract] dataset 'strict' at version {drifted} does not match its contract "
        "(evolution strict, read): column 'note' (Utf8) is not in the contract" in str(error)
    )
    assert rows(ctx, "SELECT note FROM delta.default.additive WHERE id = 100") == [["added"]]
    assert rows(ctx, "SELECT note FROM delta.default.relaxed WHERE id = 100") == [["added"]]
    assert rows(ctx, "SELECT count(*) FROM delta.default.before")[0][0] > 0

    error = failure(ctx, "SELECT id FROM delta.default.keyed")
    assert dfpack.classify(error) is dfpack.ContractViolation
    assert "column 'id': expected NOT NULL, found nullable" in str(error)
    assert rows(ctx, "SELECT count(*) FROM delta.default.keyed_relaxed")[0][0] > 0

    assert rows(
        ctx,
        'SELECT dataset, version, kind, "column", expected, found FROM pack_contract_check(\'strict\')',
    ) == [["strict", drifted, "extra_column", "note", "no such column", "Utf8"]]
    assert rows(ctx, "SELECT dataset FROM pack_contracts() ORDER BY dataset") == [
        [name] for name in ["additive", "before", "keyed", "keyed_relaxed", "relaxed", "strict"]
    ]


SMALL_IDS = [{"name": "small_id", "expression": "id < 7"}]


def test_enforce_fails_and_warn_records(delta_copy):
    root = delta_copy("simple_table")
    version = append_commit(root, [10, 11])
    uri = str(root)
    ctx = session(
        {
            "enforced": {
                "table_uri": uri,
                "contract": contract("additive", True, SMALL_IDS),
                "validation": {"enabled": True, "mode": "enforce", "collect_all": True},
            },
            "warned": {
                "table_uri": uri,
                "contract": contract("additive", True, SMALL_IDS),
                "validation": {"enabled": True, "mode": "warn"},
            },
            "plain": {"table_uri": uri},
        }
    )
    ids = sorted(row[0] for row in rows(ctx, "SELECT id FROM delta.default.plain"))
    large = sum(1 for i in ids if i >= 7)

    error = failure(ctx, "SELECT id FROM delta.default.enforced")
    assert dfpack.classify(error) is dfpack.ContractViolation
    message = str(error)
    assert (
        f"dataset 'enforced' at version {version} failed validation (read): "
        "constraint 'small_id' (id < 7): " in message
    ), message
    assert "rows checked failing, e.g. id=" in message, message

    # Each scan partition records its own violations, and one without failing
    # rows records nothing: on one partition, rows_checked counts every row.
    ctx.sql("SET datafusion.execution.target_partitions = 1").collect()
    assert sorted(row[0] for row in rows(ctx, "SELECT id FROM delta.default.warned")) == ids
    recorded = rows(
        ctx,
        "SELECT mode, \"check\", name, sum(failing_rows), sum(rows_checked) FROM pack_contract_violations() "
        "WHERE dataset = 'warned' GROUP BY mode, \"check\", name",
    )
    assert recorded == [["warn", "check_constraint", "small_id", large, len(ids)]]


def test_install_adds_the_rule_once(pack):
    rule = pack.physical_optimizer_rule()
    assert rule is not None and rule.name == "dfpack_contract_check"
    ctx = SessionContext()
    pack.install(ctx)
    pack.install(ctx)
    # The context keeps working, its catalog and functions in place.
    assert rows(ctx, "SELECT count(*) FROM pack_contracts()") is not None
    assert "delta" in ctx.catalog_names()
