"""Shared fixtures. Everything runs against the real datafusion==55.0.0 wheel
and real pack images built by cargo (build.sh builds them first)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from datafusion import SessionContext

import dfpack

TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/dfpack/target"))


def _built(env_var: str, default: Path, what: str) -> Path:
    path = Path(os.environ.get(env_var, default))
    if not path.is_file():
        pytest.fail(f"{what} not found at {path} (set {env_var}, or run loader/python/build.sh)")
    return path


@pytest.fixture(scope="session")
def fixture_image() -> Path:
    """The fixture pack as cargo built it. Never load it in place: copy it."""
    return _built(
        "DFPACK_FIXTURE", TARGET_DIR / "debug/libdfpack_fixture.so", "the fixture pack"
    )


@pytest.fixture(scope="session")
def pack_image() -> Path:
    """libdfpack.so as cargo built it (the same bytes build.sh bundles)."""
    return _built("DFPACK_PLUGIN_IMAGE", TARGET_DIR / "debug/libdfpack.so", "libdfpack.so")


@pytest.fixture
def fixture_copy(fixture_image: Path, tmp_path: Path) -> Path:
    """A private copy of the fixture pack: a new file is a new library to the
    dynamic loader, and its `<path>.manifest` sidecar concerns this test only."""
    copy = tmp_path / "libdfpack_fixture.so"
    shutil.copyfile(fixture_image, copy)
    return copy


@pytest.fixture(scope="session")
def pack() -> dfpack.Pack:
    return dfpack.load()


@pytest.fixture
def ctx(pack: dfpack.Pack) -> SessionContext:
    """A fresh context with the bundled pack installed."""
    ctx = SessionContext()
    pack.install(ctx)
    return ctx


@pytest.fixture(scope="session")
def rust_host(pack_image: Path):
    """Runs SQL in the Rust host (the `embed` example of dfpack-loader, loading
    the same pack) and returns its rows as lists of strings (NULL as '')."""
    embed = _built(
        "DFPACK_EMBED", TARGET_DIR / "debug/examples/embed", "the embed example"
    )

    def run(sql: str) -> list[list[str]]:
        done = subprocess.run(
            [str(embed), str(pack_image), sql],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        table = [line for line in done.stdout.splitlines() if line.startswith("|")]
        return [[cell.strip() for cell in line.strip("|").split("|")] for line in table[1:]]

    return run


def rows(ctx: SessionContext, sql: str) -> list[list[object]]:
    """The result of `sql` in `ctx`, row by row."""
    table = ctx.sql(sql).to_arrow_table()
    columns = [column.to_pylist() for column in table.columns]
    return [list(row) for row in zip(*columns)]


# --- Delta tables -----------------------------------------------------------

#: The real Delta tables (shared/delta-tables beside the project root). Read only:
#: a test that changes a table works on a copy (`delta_copy`).
DELTA_TABLES = Path(
    os.environ.get(
        "DFPACK_DELTA_TABLES", Path(__file__).resolve().parents[3].parent / "shared/delta-tables"
    )
)


@pytest.fixture(scope="session")
def delta_tables() -> Path:
    if not (DELTA_TABLES / "README.md").is_file():
        pytest.fail(f"the Delta test tables are not at {DELTA_TABLES} (set DFPACK_DELTA_TABLES)")
    return DELTA_TABLES


@pytest.fixture
def delta_copy(delta_tables: Path, tmp_path: Path):
    """Copies a shared Delta table into this test's tmp_path and returns the copy."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(delta_tables / name, target)
        return target

    return copy


@pytest.fixture
def delta_ctx():
    """A fresh context with the bundled pack installed, its catalog built from `config`."""

    def make(config=None) -> SessionContext:
        ctx = SessionContext()
        dfpack.load(config=config).install(ctx)
        return ctx

    return make
