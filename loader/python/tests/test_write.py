"""Writes through datafusion-python 55 (the unmodified wheel): INSERT INTO /
INSERT OVERWRITE into the pack's datasets, read back through the pack and
checked in the Delta log itself; per-write commit options from Python
(`dfpack.commit_options`) and from SQL (`SET dfpack.commit.*`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import rows
from datafusion import SessionContext

import dfpack


def context(config) -> SessionContext:
    ctx = SessionContext(dfpack.session_config())
    dfpack.load(config=config).install(ctx)
    return ctx


def scalar(ctx: SessionContext, sql: str):
    [[value]] = rows(ctx, sql)
    return value


def commit(root: Path, version: int) -> list[dict]:
    text = (root / "_delta_log" / f"{version:020}.json").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def commit_files(root: Path) -> int:
    return len(list((root / "_delta_log").glob("*.json")))


@pytest.fixture
def simple(delta_copy):
    root = delta_copy("simple_table")
    return root, context({"datasets": {"t": {"table_uri": str(root)}}})


def test_insert_and_overwrite_report_their_counts_and_read_back(simple):
    root, ctx = simple
    assert scalar(ctx, "SELECT count(*) FROM delta.default.t") == 3
    assert rows(ctx, "INSERT INTO delta.default.t VALUES (10), (11)") == [[2]]
    assert rows(ctx, "SELECT count(*), max(id) FROM delta.default.t") == [[5, 11]]
    assert rows(ctx, "INSERT OVERWRITE delta.default.t VALUES (7)") == [[1]]
    assert rows(ctx, "SELECT id FROM delta.default.t") == [[7]]
    assert commit_files(root) == 7


def test_commit_options_make_a_retried_write_a_no_op(simple):
    root, ctx = simple
    with dfpack.commit_options(ctx, app_id="py-job", app_version=5, metadata={"run": "r-5"}):
        assert rows(ctx, "INSERT INTO delta.default.t VALUES (1)") == [[1]]
        assert rows(ctx, "INSERT INTO delta.default.t VALUES (1)") == [[0]], "a replay writes nothing"
    actions = commit(root, 5)
    assert {"txn": {"appId": "py-job", "version": 5}} == {
        "txn": {k: v for k, v in next(a["txn"] for a in actions if "txn" in a).items() if k != "lastUpdated"}
    }
    info = next(a["commitInfo"] for a in actions if "commitInfo" in a)
    assert info["run"] == "r-5"
    assert commit_files(root) == 6

    # The block's options are gone: the same statement writes again, with no txn.
    assert rows(ctx, "INSERT INTO delta.default.t VALUES (1)") == [[1]]
    assert not any("txn" in a for a in commit(root, 6))
    assert scalar(ctx, "SELECT count(*) FROM delta.default.t") == 5


def test_sql_set_options_reach_the_pack(simple):
    root, ctx = simple
    ctx.sql("SET dfpack.commit.metadata = '{\"from\":\"sql\"}'").collect()
    assert rows(ctx, "INSERT INTO delta.default.t VALUES (1)") == [[1]]
    [[metadata]] = rows(ctx, f"SELECT commit_metadata FROM delta_history('{root}', 1)")
    assert json.loads(metadata)["from"] == "sql"


def test_bad_options_are_config_errors_and_change_nothing(simple):
    root, ctx = simple
    with pytest.raises(dfpack.ConfigError):
        with dfpack.commit_options(ctx, app_id="only-an-id"):
            pass
    ctx.sql("SET dfpack.commit.max_retries = 'lots'").collect()
    with pytest.raises(Exception) as raised:
        ctx.sql("INSERT INTO delta.default.t VALUES (1)").collect()
    assert dfpack.classify(raised.value) is dfpack.ConfigError, raised.value
    assert "dfpack.commit.max_retries" in str(raised.value)
    assert commit_files(root) == 5


def test_a_session_without_the_options_is_told_how_to_get_them(delta_copy):
    root = delta_copy("simple_table")
    ctx = SessionContext()
    dfpack.load(config={"datasets": {"t": {"table_uri": str(root)}}}).install(ctx)
    with pytest.raises(dfpack.ConfigError, match="session_config"):
        with dfpack.commit_options(ctx, app_id="a", app_version=1):
            pass
    # Plain writes need no options.
    assert rows(ctx, "INSERT INTO delta.default.t VALUES (1)") == [[1]]


def test_a_dataset_is_created_on_its_first_write(tmp_path):
    root = tmp_path / "orders"
    ctx = context(
        {
            "datasets": {
                "orders": {
                    "table_uri": str(root),
                    "create_if_missing": True,
                    "partition_columns": ["country"],
                    "contract": {
                        "evolution": "strict",
                        "schema": {
                            "fields": [
                                {"name": "id", "type": {"type": "int64"}, "nullable": False},
                                {"name": "country", "type": {"type": "utf8"}, "nullable": True},
                            ]
                        },
                    },
                }
            }
        }
    )
    assert scalar(ctx, "SELECT count(*) FROM delta.default.orders") == 0
    assert rows(ctx, "INSERT INTO delta.default.orders VALUES (1, 'fr'), (2, 'de')") == [[2]]
    assert sorted(rows(ctx, "SELECT country, id FROM delta.default.orders")) == [["de", 2], ["fr", 1]]
    assert (root / "country=fr").is_dir()


def test_the_writer_gate_refuses_by_feature_name(delta_copy):
    root = delta_copy("checkpoint-v2-table")
    ctx = context({"datasets": {"t": {"table_uri": str(root)}}})
    with pytest.raises(Exception) as raised:
        ctx.sql("INSERT INTO delta.default.t SELECT * FROM delta.default.t LIMIT 1").collect()
    assert dfpack.classify(raised.value) is dfpack.ProtocolGateError, raised.value
    assert "writer features this pack cannot maintain: identityColumns" in str(raised.value)
