"""dfpack.load(): the bundled pack, its manifest and its exports."""

from __future__ import annotations

import ctypes
import platform
from pathlib import Path

import pytest
from datafusion import SessionContext

import dfpack


def capsule_name(capsule: object) -> str:
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype = ctypes.c_char_p
    get_name.argtypes = [ctypes.py_object]
    return get_name(capsule).decode()


def test_bundled_pack_sits_next_to_the_package():
    path = dfpack.bundled_path()
    assert path.name == "libdfpack.so"
    assert path.parent == Path(dfpack.__file__).resolve().parent
    assert path.is_file()


def test_manifest_fields(pack):
    manifest = pack.manifest
    assert manifest["pack_name"] == "dfpack"
    assert manifest["pack_version"] == dfpack.__version__
    assert manifest["abi_major"] == 1
    assert isinstance(manifest["abi_minor"], int)
    assert manifest["ffi_major"] == 55 == dfpack.BUILD_INFO["ffi_major"]
    assert manifest["datafusion_version"] == dfpack.BUILD_INFO["datafusion_version"]
    assert manifest["datafusion_version"].startswith("55.")
    assert manifest["arrow_version"] == dfpack.BUILD_INFO["arrow_version"]
    assert manifest["target"].startswith(platform.machine())
    assert manifest["target"].endswith("linux-gnu")
    assert Path(manifest["path"]) == dfpack.bundled_path()
    assert pack.path == manifest["path"]
    assert (pack.name, pack.version) == ("dfpack", dfpack.__version__)


def test_the_manifest_is_a_plugin_manifest_payload(pack):
    """The manifest as the schema's class: the values of pack.manifest, exports as entries."""
    payload = pack.plugin_manifest
    assert isinstance(payload, dfpack.contracts.PluginManifest)
    manifest = pack.manifest
    assert payload.pack_name == manifest["pack_name"] == "dfpack"
    assert (payload.abi_major, payload.abi_minor) == (manifest["abi_major"], manifest["abi_minor"])
    assert payload.path == manifest["path"]
    assert [(entry.name, entry.kind) for entry in payload.exports] == manifest["exports"]
    assert ("delta_snapshot", "table") in manifest["exports"]


def test_exports_and_functions_agree(pack):
    functions = pack.functions
    assert [tuple(f) for f in functions] == [tuple(e) for e in pack.manifest["exports"]]
    assert dfpack.Function("stable_hash64", "scalar") in functions
    assert dfpack.Function("pack_manifest", "table") in functions
    assert dfpack.Function("pack_functions", "table") in functions
    assert not any(f.name.startswith("fixture_") for f in functions)
    assert {f.kind for f in functions} == {"scalar", "table"}


def test_manifest_is_a_copy(pack):
    pack.manifest["pack_name"] = "changed"
    pack.manifest["exports"].clear()
    assert pack.manifest["pack_name"] == "dfpack"
    assert pack.manifest["exports"]


def test_loading_the_same_file_twice_gives_the_same_pack(pack, pack_image):
    again = dfpack.load(dfpack.bundled_path())
    assert again.manifest == pack.manifest
    other = dfpack.load(str(pack_image))  # a str path works too
    assert other.path == str(pack_image.resolve())
    assert {f.name for f in other.functions} == {f.name for f in pack.functions}


def test_scalar_udf_capsule(pack):
    udf = pack.scalar_udf("stable_hash64")
    assert udf.name == "stable_hash64"
    capsule = udf.__datafusion_scalar_udf__()
    assert type(capsule).__name__ == "PyCapsule"
    assert capsule_name(capsule) == "datafusion_scalar_udf"
    assert "stable_hash64" in repr(udf)


def test_table_function_capsule(pack):
    function = pack.table_function("pack_manifest")
    assert function.name == "pack_manifest"
    capsule = function.__datafusion_table_function__(SessionContext())
    assert capsule_name(capsule) == "datafusion_table_function"


def test_table_function_capsule_needs_a_session(pack):
    with pytest.raises(TypeError, match="SessionContext"):
        pack.table_function("pack_manifest").__datafusion_table_function__(42)


@pytest.mark.parametrize(
    ("getter", "name", "message"),
    [
        ("scalar_udf", "no_such_function", "exports no function 'no_such_function'"),
        ("table_function", "no_such_function", "exports no function 'no_such_function'"),
        ("scalar_udf", "pack_manifest", "as a table function, not a scalar function"),
        ("table_function", "stable_hash64", "as a scalar function, not a table function"),
    ],
)
def test_unknown_or_wrong_kind_of_function(pack, getter, name, message):
    with pytest.raises(KeyError, match=message):
        getattr(pack, getter)(name)
