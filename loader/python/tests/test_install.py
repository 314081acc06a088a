"""Pack.install() and registering the pieces by hand, against the real datafusion wheel."""

from __future__ import annotations

import pyarrow as pa
import pytest
from conftest import rows
from datafusion import (
    ScalarUDF,
    SessionConfig,
    SessionContext,
    TableFunction,
    col,
    udf,
    udtf,
)

import dfpack

PARITY_QUERIES = [
    "SELECT stable_hash64('hello') AS h",
    "SELECT stable_hash64(NULL) AS a, stable_hash64(1, 'a') AS b, "
    "stable_hash64(CAST(1 AS TINYINT)) AS c, stable_hash64(CAST(1 AS BIGINT)) AS d, "
    "stable_hash64(arrow_cast('x', 'LargeUtf8')) AS e, stable_hash64(2.5) AS f, "
    "stable_hash64(DATE '2024-02-29') AS g, stable_hash64(true) AS i",
    "SELECT v, stable_hash64(v, 'k') AS h FROM (VALUES (1), (2), (3), (NULL)) AS t(v) "
    "ORDER BY v NULLS LAST",
]


def test_install_registers_every_export(pack):
    ctx = SessionContext()
    installed = pack.install(ctx)
    assert set(installed) == {f.name for f in pack.functions}
    assert "stable_hash64" in ctx.udfs()


def test_stable_hash64_of_hello(ctx):
    # The documented value (udfs/src/hash/stable_hash64.rs), and the Rust host's.
    assert rows(ctx, "SELECT stable_hash64('hello')") == [[4410968288181109294]]


@pytest.mark.parametrize("sql", PARITY_QUERIES)
def test_python_and_rust_hosts_agree(ctx, rust_host, sql):
    python_rows = [["" if v is None else str(v) for v in row] for row in rows(ctx, sql)]
    assert python_rows == rust_host(sql)


def test_pack_manifest_via_sql(ctx, pack):
    [[name, version, abi, datafusion_version, ffi_version, target, path]] = rows(
        ctx,
        "SELECT name, version, abi, datafusion_version, ffi_version, target, path "
        "FROM pack_manifest()",
    )
    manifest = pack.manifest
    assert (name, version) == (manifest["pack_name"], manifest["pack_version"])
    assert abi == f"{manifest['abi_major']}.{manifest['abi_minor']}"
    assert datafusion_version == manifest["datafusion_version"]
    assert ffi_version == str(manifest["ffi_major"])
    assert target == manifest["target"]
    assert path == manifest["path"] == pack.path


def test_pack_functions_via_sql(ctx, pack):
    listed = rows(ctx, "SELECT name, kind, syntax FROM pack_functions() ORDER BY name")
    assert [(name, kind) for name, kind, _ in listed] == sorted(
        (f.name, f.kind) for f in pack.functions
    )
    syntax = {name: text for name, _, text in listed}
    assert syntax["stable_hash64"].startswith("stable_hash64(")


def test_installing_twice_is_a_no_op(pack):
    ctx = SessionContext()
    assert pack.install(ctx)
    assert pack.install(ctx) == ()
    assert rows(ctx, "SELECT stable_hash64('hello')") == [[4410968288181109294]]


def test_install_into_two_contexts(pack):
    first, second = SessionContext(), SessionContext()
    assert pack.install(first) and pack.install(second)
    for ctx in (first, second):
        assert rows(ctx, "SELECT count(*) FROM pack_functions()")[0][0] == len(pack.functions)


def test_a_deregistered_function_is_installed_again(pack):
    ctx = SessionContext()
    pack.install(ctx)
    ctx.deregister_udf("stable_hash64")
    assert pack.install(ctx) == ("stable_hash64",)
    assert rows(ctx, "SELECT stable_hash64('hello')") == [[4410968288181109294]]


def test_refuses_a_scalar_name_the_context_already_has(pack):
    ctx = SessionContext()
    mine = udf(lambda x: x, [pa.utf8()], pa.utf8(), "immutable", name="stable_hash64")
    ctx.register_udf(mine)
    with pytest.raises(dfpack.NameConflictError, match="already has stable_hash64") as info:
        pack.install(ctx)
    assert isinstance(info.value, ValueError)
    assert "nothing was installed" in str(info.value)
    # Nothing was registered: the user's function stays, the pack's tables are absent.
    assert rows(ctx, "SELECT stable_hash64('hello')") == [["hello"]]
    with pytest.raises(Exception, match="pack_manifest"):
        ctx.sql("SELECT * FROM pack_manifest()").collect()


def test_refuses_a_table_function_name_the_context_already_has(pack):
    ctx = SessionContext()  # information_schema is on by default in datafusion-python
    ctx.register_udtf(udtf(lambda: None, "pack_functions"))
    with pytest.raises(dfpack.NameConflictError, match="pack_functions"):
        pack.install(ctx)
    assert "stable_hash64" not in ctx.udfs()


def test_refuses_functions_another_pack_installed(pack, fixture_copy):
    ctx = SessionContext()
    pack.install(ctx)
    fixture = dfpack.load(fixture_copy)
    with pytest.raises(dfpack.NameConflictError, match=f"installed from {pack.path}"):
        fixture.install(ctx)
    assert "fixture_panic" not in ctx.udfs()


def test_install_without_information_schema(pack):
    ctx = SessionContext(SessionConfig().with_information_schema(False))
    assert set(pack.install(ctx)) == {f.name for f in pack.functions}
    assert pack.install(ctx) == ()
    assert rows(ctx, "SELECT stable_hash64('hello')") == [[4410968288181109294]]
    assert rows(ctx, "SELECT name FROM pack_manifest()") == [["dfpack"]]


def test_install_takes_a_session_context(pack):
    with pytest.raises(TypeError, match="SessionContext"):
        pack.install(object())


def test_register_pieces_by_hand(pack):
    ctx = SessionContext()
    ctx.register_udf(ScalarUDF.from_pycapsule(pack.scalar_udf("stable_hash64")))
    # register_udtf takes a datafusion TableFunction; passing the context makes the
    # table function use this session's codec (without it: the global context's).
    ctx.register_udtf(TableFunction("pack_manifest", pack.table_function("pack_manifest"), ctx))
    ctx.register_udtf(udtf(pack.table_function("pack_functions"), "pack_functions"))
    assert rows(ctx, "SELECT stable_hash64('hello')") == [[4410968288181109294]]
    assert rows(ctx, "SELECT name FROM pack_manifest()") == [["dfpack"]]
    assert rows(ctx, "SELECT count(*) FROM pack_functions() WHERE name = 'stable_hash64'") == [
        [1]
    ]


def test_udf_helper_and_raw_capsule(pack):
    ctx = SessionContext()
    wrapped = udf(pack.scalar_udf("stable_hash64"))
    assert wrapped.name == "stable_hash64"
    ctx.register_udf(wrapped)
    assert rows(ctx, "SELECT stable_hash64('hello')") == [[4410968288181109294]]

    raw = ScalarUDF.from_pycapsule(pack.scalar_udf("stable_hash64").__datafusion_scalar_udf__())
    other = SessionContext()
    other.register_udf(raw)
    assert rows(other, "SELECT stable_hash64('hello')") == [[4410968288181109294]]


def test_dataframe_api_with_a_pack_udf(pack):
    ctx = SessionContext()
    hash64 = udf(pack.scalar_udf("stable_hash64"))
    df = ctx.from_pydict({"s": ["hello", None]}).select(hash64(col("s")))
    assert df.to_arrow_table().column(0).to_pylist()[0] == 4410968288181109294
