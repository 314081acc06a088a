"""A panic inside the pack fails the query that hit it, with an error that
classify() maps to InternalError, and leaves the session usable."""

from __future__ import annotations

import shutil

import pytest
from conftest import rows
from datafusion import SessionContext

import dfpack


@pytest.fixture(scope="module")
def fixture_pack(fixture_image, tmp_path_factory) -> dfpack.Pack:
    copy = tmp_path_factory.mktemp("fixture") / "libdfpack_fixture.so"
    shutil.copyfile(fixture_image, copy)
    return dfpack.load(copy)


@pytest.fixture
def fctx(fixture_pack) -> SessionContext:
    ctx = SessionContext()
    fixture_pack.install(ctx)
    return ctx


def failure(ctx: SessionContext, sql: str) -> BaseException:
    with pytest.raises(Exception) as info:  # noqa: PT011 - datafusion-python's own type
        ctx.sql(sql).collect()
    return info.value


def test_fixture_functions_work(fctx):
    assert rows(fctx, "SELECT fixture_panic(12)") == [[12]]
    assert rows(fctx, "SELECT n FROM fixture_panic_table('none') ORDER BY n") == [[1], [2], [3]]
    assert rows(fctx, "SELECT stable_hash64('hello')") == [[4410968288181109294]]


def test_scalar_panic_is_an_internal_error(fctx):
    error = failure(fctx, "SELECT fixture_panic(13)")
    assert dfpack.classify(error) is dfpack.InternalError
    assert "[dfpack:internal]" in str(error)
    assert "fixture_panic was given 13" in str(error)
    # The next query in the same context works.
    assert rows(fctx, "SELECT fixture_panic(12)") == [[12]]


def test_scalar_panic_on_a_column(fctx):
    error = failure(
        fctx, "SELECT fixture_panic(v) FROM (VALUES (CAST(1 AS BIGINT)), (13)) AS t(v)"
    )
    assert dfpack.classify(error) is dfpack.InternalError
    assert rows(fctx, "SELECT sum(fixture_panic(v)) FROM (VALUES (1), (2)) AS t(v)") == [[3]]


@pytest.mark.parametrize("stage", ["call", "scan", "execute", "poll"])
def test_table_function_panic_is_an_internal_error(fctx, stage):
    error = failure(fctx, f"SELECT * FROM fixture_panic_table('{stage}')")
    assert dfpack.classify(error) is dfpack.InternalError, str(error)
    assert f"fixture_panic_table panicked in {stage}" in str(error)
    assert rows(fctx, "SELECT n FROM fixture_panic_table('none') ORDER BY n") == [[1], [2], [3]]
    assert rows(fctx, "SELECT fixture_panic(12)") == [[12]]


def test_many_panics_in_a_row(fctx):
    for _ in range(20):
        assert dfpack.classify(failure(fctx, "SELECT fixture_panic(13)")) is dfpack.InternalError
    assert rows(fctx, "SELECT fixture_panic(7)") == [[7]]


def test_plain_errors_are_not_dfpack_errors(fctx):
    assert dfpack.classify(failure(fctx, "SELECT no_such_function(1)")) is None
    error = failure(fctx, "SELECT * FROM fixture_panic_table('sideways')")
    assert "unknown stage 'sideways'" in str(error)
