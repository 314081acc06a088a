"""Packs dfpack refuses to load, and the exceptions it refuses them with."""

from __future__ import annotations

import ctypes.util
import shutil
from pathlib import Path

import datafusion
import pytest

import dfpack


def refusal(path) -> dfpack.AbiError:
    with pytest.raises(ImportError) as info:
        dfpack.load(path)
    assert isinstance(info.value, dfpack.AbiError)
    assert isinstance(info.value, dfpack.DfpackError)
    assert dfpack.classify(info.value) is dfpack.AbiError
    assert str(info.value).startswith("[dfpack:abi] ")
    return info.value


def test_missing_file(tmp_path):
    missing = tmp_path / "nowhere" / "libdfpack.so"
    message = str(refusal(missing))
    assert message == (
        f"[dfpack:abi] cannot load plugin '{missing}': No such file or directory (os error 2)"
    )


def test_directory(tmp_path):
    message = str(refusal(tmp_path))
    assert message == f"[dfpack:abi] cannot load plugin '{tmp_path.resolve()}': not a file"


def test_text_file(tmp_path):
    text = tmp_path / "libdfpack.so"
    text.write_text("this is not a shared library\n")
    message = str(refusal(text))
    assert message.startswith(f"[dfpack:abi] cannot load plugin '{text.resolve()}': ")
    assert "not a shared library" in message


def test_truncated_copy(tmp_path, pack_image):
    truncated = tmp_path / "libdfpack.so"
    with pack_image.open("rb") as source, truncated.open("wb") as target:
        target.write(source.read(1 << 20))
    message = str(refusal(truncated))
    assert message.startswith(f"[dfpack:abi] cannot load plugin '{truncated.resolve()}': ")
    assert "truncated" in message


def test_a_shared_library_that_is_not_a_pack(tmp_path):
    found = ctypes.util.find_library("m")
    assert found, "libm not found"
    libm = next(
        (Path(d) / found for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64")
         if (Path(d) / found).is_file()),
        None,
    )
    if libm is None:
        pytest.skip(f"cannot locate {found}")
    copy = tmp_path / "libnotapack.so"
    shutil.copyfile(libm, copy)
    message = str(refusal(copy))
    assert "not a dfpack plugin" in message
    assert str(copy.resolve()) in message


@pytest.mark.parametrize(
    ("sidecar", "expected"),
    [
        ("ffi_major = 54", "built for datafusion-ffi 54, this host has 55"),
        ("datafusion_version = 54.0.0", "built for datafusion 54.0.0, this host has 55."),
        ("arrow_version = 58.0.0", "built for arrow 58.0.0, this host has "),
        # {major}.{minor}: this host's pack ABI (the fixture claims only what the sidecar says).
        ("abi_major = 2", "built for pack ABI 2.{minor}, this host has pack ABI {major}.{minor}"),
        ("abi_minor = 99", "built for pack ABI {major}.99, newer than this host's {major}.{minor}"),
        ("target = aarch64-apple-darwin", "built for target aarch64-apple-darwin, this host is "),
    ],
)
def test_fixture_claiming_another_build(fixture_copy, pack, sidecar, expected):
    Path(f"{fixture_copy}.manifest").write_text(sidecar + "\n")
    message = str(refusal(fixture_copy))
    assert f"refusing plugin '{fixture_copy.resolve()}' (dfpack_fixture " in message
    host = pack.manifest
    assert expected.format(major=host["abi_major"], minor=host["abi_minor"]) in message


def test_every_mismatch_is_named(fixture_copy):
    Path(f"{fixture_copy}.manifest").write_text("ffi_major = 54\ndatafusion_version = 54.0.0\n")
    message = str(refusal(fixture_copy))
    assert "built for datafusion-ffi 54, this host has 55" in message
    assert "built for datafusion 54.0.0, this host has 55." in message


def test_a_manifest_the_pack_cannot_produce(fixture_copy):
    Path(f"{fixture_copy}.manifest").write_text("nonsense\n")
    message = str(refusal(fixture_copy))
    assert f"cannot load plugin '{fixture_copy.resolve()}': bad line in" in message


def test_the_untouched_fixture_loads(fixture_copy):
    fixture = dfpack.load(fixture_copy)
    assert fixture.name == "dfpack_fixture"
    assert {"fixture_panic", "fixture_panic_table"} <= {f.name for f in fixture.functions}


@pytest.mark.parametrize("version", ["54.0.0", "56.1.0", "not-a-version"])
def test_datafusion_python_of_another_major(monkeypatch, pack, version):
    monkeypatch.setattr(datafusion, "__version__", version)
    with pytest.raises(ImportError) as info:
        dfpack.load()
    message = str(info.value)
    assert isinstance(info.value, dfpack.AbiError)
    assert (
        f"dfpack {dfpack.__version__} was built for datafusion 55 (datafusion-ffi 55); "
        f"this Python has datafusion {version}"
    ) in message
    assert f"refusing plugin '{pack.path}'" in message
    assert "pip install 'datafusion>=55,<56'" in message


def test_no_bundled_pack(monkeypatch, tmp_path):
    monkeypatch.setattr(dfpack, "bundled_path", lambda: tmp_path / "libdfpack.so")
    with pytest.raises(dfpack.AbiError, match="has no bundled libdfpack.so"):
        dfpack.load()


def test_exception_hierarchy():
    for name, base in [
        ("AbiError", ImportError),
        ("ConfigError", ValueError),
        ("IoError", OSError),
        ("NameConflictError", ValueError),
        ("ProtocolGateError", dfpack.DfpackError),
        ("ContractViolation", dfpack.DfpackError),
        ("DeltaError", dfpack.DfpackError),
        ("DataFusionError", dfpack.DfpackError),
        ("ArrowError", dfpack.DfpackError),
        ("InternalError", dfpack.DfpackError),
    ]:
        cls = getattr(dfpack, name)
        assert issubclass(cls, dfpack.DfpackError) and issubclass(cls, base), name


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("abi", dfpack.AbiError),
        ("config", dfpack.ConfigError),
        ("protocol_gate", dfpack.ProtocolGateError),
        ("contract", dfpack.ContractViolation),
        ("delta", dfpack.DeltaError),
        ("datafusion", dfpack.DataFusionError),
        ("arrow", dfpack.ArrowError),
        ("io", dfpack.IoError),
        ("internal", dfpack.InternalError),
    ],
)
def test_classify_reads_the_tag(kind, cls):
    wrapped = Exception(f"DataFusion error: External error: FFI error: [dfpack:{kind}] it broke")
    assert dfpack.classify(wrapped) is cls
    assert dfpack.error_class(kind) is cls


def test_classify_edge_cases():
    assert dfpack.classify(ValueError("Error during planning: Invalid function 'x'")) is None
    assert dfpack.classify(None) is None
    assert dfpack.classify(Exception("[dfpack:from_the_future] x")) is dfpack.DfpackError
    assert dfpack.classify(dfpack.ConfigError("no tag in this one")) is dfpack.ConfigError
    try:
        try:
            raise RuntimeError("[dfpack:delta] log is corrupt")
        except RuntimeError as inner:
            raise KeyError("outer") from inner
    except KeyError as outer:
        assert dfpack.classify(outer) is dfpack.DeltaError
