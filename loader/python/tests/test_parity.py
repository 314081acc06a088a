"""Parity: each query in tests/parity/queries.sql answers the same in
datafusion-python (the pack through its capsules) as in the real dfpack-cli
binary. The Rust suite (tests/it/parity.rs) checks the CLI and the FFI path
against the functions registered natively, which closes the loop."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from datafusion import SessionContext

from conftest import TARGET_DIR, _built

QUERIES = Path(__file__).resolve().parents[3] / "tests/parity/queries.sql"


def _queries() -> list[str]:
    lines = (line.strip() for line in QUERIES.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("--")]


@pytest.fixture(scope="session")
def cli() -> Path:
    return _built("DFPACK_CLI", TARGET_DIR / "debug/dfpack-cli", "dfpack-cli")


def _cli_rows(cli: Path, pack_image: Path, sql: str) -> list[str | None]:
    done = subprocess.run(
        [cli, "-q", "--format", "nd-json", "--plugin", pack_image, "-c", sql],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, f"{sql}: {done.stderr}"
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return [next(iter(row.values()), None) for row in rows]


def _python_rows(ctx: SessionContext, sql: str) -> list[str | None]:
    table = ctx.sql(sql).to_arrow_table()
    assert table.num_columns == 1, f"{sql}: parity queries return one column"
    return [None if value is None else str(value) for value in table.column(0).to_pylist()]


def test_the_parity_file_lists_queries() -> None:
    assert len(_queries()) >= 5


@pytest.mark.parametrize("sql", _queries())
def test_python_answers_like_the_cli(ctx: SessionContext, cli: Path, pack_image: Path, sql: str) -> None:
    expected = _cli_rows(cli, pack_image, sql)
    assert expected, f"{sql}: returns rows"
    assert _python_rows(ctx, sql) == expected
