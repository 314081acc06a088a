"""dfpack for Python: load ``libdfpack.so`` and install its functions into a
``datafusion.SessionContext``.

    >>> import dfpack
    >>> from datafusion import SessionContext
    >>> ctx = SessionContext()
    >>> pack = dfpack.load()            # the libdfpack.so bundled with this package
    >>> pack.install(ctx)               # every scalar UDF and table function
    >>> ctx.sql("SELECT stable_hash64('hello')").collect()

The pack is a compiled plugin built against one datafusion major (and its
datafusion-ffi major). :func:`load` refuses, with an :class:`AbiError` (an
``ImportError``) naming both sides, a pack built for another host, and refuses
to hand functions to a datafusion Python package of another major, which would
crash instead of failing.

Errors raised while a *query* runs come from datafusion-python, not from
dfpack; :func:`classify` maps them to the classes below by the
``[dfpack:<kind>]`` tag their message carries.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, NamedTuple

from . import _native, errors
from .errors import (
    AbiError,
    ArrowError,
    ConfigError,
    ContractViolation,
    DataFusionError,
    DeltaError,
    DfpackError,
    InternalError,
    IoError,
    NameConflictError,
    ProtocolGateError,
    classify,
    error_class,
)

__all__ = [
    "Function",
    "Pack",
    "load",
    "bundled_path",
    "__version__",
    "BUILD_INFO",
    *errors.__all__,
]

#: The versions the compiled half was built with (dfpack, datafusion, datafusion-ffi, arrow).
BUILD_INFO: dict[str, Any] = dict(_native.BUILD_INFO)
__version__: str = BUILD_INFO["dfpack_version"]

_BUNDLED_NAME = "libdfpack.so"


class Function(NamedTuple):
    """One export of a pack: its SQL name and kind, ``"scalar"`` or ``"table"``."""

    name: str
    kind: str


def bundled_path() -> Path:
    """Where the ``libdfpack.so`` shipped inside this package lives."""
    return Path(__file__).resolve().with_name(_BUNDLED_NAME)


def load(path: str | Path | None = None) -> Pack:
    """Load and verify a pack; by default the ``libdfpack.so`` bundled with this package.

    Loading the same file twice returns the same underlying pack (a shared
    library is never unloaded).

    Raises:
        AbiError: (an ``ImportError``) the file is missing or not a dfpack
            plugin, the pack was built for another pack ABI / datafusion-ffi /
            datafusion / arrow / target than this package, or the installed
            ``datafusion`` Python package has another major version than the
            pack was built for. The message names the path and both versions.
    """
    if path is None:
        path = bundled_path()
        if not path.is_file():
            raise AbiError(
                f"[dfpack:abi] cannot load plugin '{path}': this dfpack package has no bundled "
                f"{_BUNDLED_NAME} (a development install without the pack copied in?); "
                "pass the path of a libdfpack.so to dfpack.load()"
            )
    native = _native.load(Path(path))
    _check_datafusion_package(native.manifest)
    return Pack(native)


def _major(version: object) -> int | None:
    try:
        return int(str(version).split(".", 1)[0])
    except ValueError:
        return None


def _check_datafusion_package(manifest: dict[str, Any]) -> None:
    """Refuse a pack whose datafusion major differs from the installed datafusion package's.

    Its capsules would be read with another datafusion-ffi layout: a crash, not an error.
    """
    built = manifest["datafusion_version"]
    built_major = _major(built)
    where = (
        f"refusing plugin '{manifest['path']}' "
        f"({manifest['pack_name']} {manifest['pack_version']}, built with datafusion {built})"
    )
    try:
        import datafusion
    except ImportError as exc:
        raise AbiError(
            f"[dfpack:abi] dfpack {__version__} was built for datafusion {built_major} "
            f"(datafusion-ffi {manifest['ffi_major']}); this Python has no datafusion package; "
            f"{where}. Install it: pip install 'datafusion>={built_major},<{(built_major or 0) + 1}'"
        ) from exc
    have = getattr(datafusion, "__version__", "unknown")
    if built_major is None or _major(have) != built_major:
        raise AbiError(
            f"[dfpack:abi] dfpack {__version__} was built for datafusion {built_major} "
            f"(datafusion-ffi {manifest['ffi_major']}); this Python has datafusion {have}; "
            f"{where}. Install a matching datafusion: "
            f"pip install 'datafusion>={built_major},<{(built_major or 0) + 1}'"
        )


# Which functions dfpack installed into which session, by SessionContext.session_id():
# {session_id: {function name: path of the pack it came from}}.
_installed: dict[str, dict[str, str]] = {}
_installed_lock = threading.Lock()


class Pack:
    """A loaded, verified pack. Get one from :func:`load`."""

    def __init__(self, native: _native.Pack) -> None:
        self._native = native
        self._manifest = dict(native.manifest)

    @property
    def path(self) -> str:
        """The file the pack was loaded from (canonical path)."""
        return self._native.path

    @property
    def manifest(self) -> dict[str, Any]:
        """What the pack says about itself: pack_name, pack_version, abi_major,
        abi_minor, ffi_major, datafusion_version, arrow_version, target, path,
        exports (a list of ``(name, kind)``). A copy; changing it changes nothing."""
        manifest = dict(self._manifest)
        manifest["exports"] = list(manifest["exports"])
        return manifest

    @property
    def name(self) -> str:
        return self._manifest["pack_name"]

    @property
    def version(self) -> str:
        return self._manifest["pack_version"]

    @property
    def functions(self) -> tuple[Function, ...]:
        """Every export, scalar UDFs first, as :class:`Function` ``(name, kind)`` tuples."""
        return tuple(Function(name, kind) for name, kind in self._native.exports)

    def scalar_udf(self, name: str) -> _native.PackScalarUdf:
        """The scalar UDF ``name``, for ``ScalarUDF.from_pycapsule(...)`` / ``udf(...)``.

        Raises ``KeyError`` if the pack exports no scalar UDF of that name.
        """
        return self._native.scalar_udf(name)

    def table_function(self, name: str) -> _native.PackTableFunction:
        """The table function ``name``, for ``TableFunction(name, obj, ctx)``
        (then ``ctx.register_udtf``) or ``udtf(obj, name)``.

        Raises ``KeyError`` if the pack exports no table function of that name.
        """
        return self._native.table_function(name)

    def install(self, ctx: Any) -> tuple[str, ...]:
        """Register every function of the pack into ``ctx`` (a ``datafusion.SessionContext``).

        Returns the names newly registered. Installing the same pack into the
        same session again registers nothing and returns ``()``.

        Refuses, with :class:`NameConflictError` and before registering
        anything, when ``ctx`` already has a function of one of the pack's names
        that this pack did not install: a built-in, a UDF of the user's, or one
        from another pack. Scalar names are checked against the session's scalar,
        aggregate and window function registries; table function names against
        ``information_schema.routines``, so only when the session has
        information_schema enabled (datafusion-python's default). Without it, a
        table function the user registered under a pack's name is silently
        replaced, as ``register_udtf`` itself does.
        """
        from datafusion import ScalarUDF, SessionContext, TableFunction

        if not isinstance(ctx, SessionContext):
            raise TypeError(
                f"Pack.install takes a datafusion.SessionContext, not {type(ctx).__name__}"
            )
        existing, tables_known = _function_names(ctx)
        with _installed_lock:
            ours = _installed.setdefault(ctx.session_id(), {})
            conflicts = []
            todo = []
            for function in self.functions:
                owner = ours.get(function.name)
                present = function.name in existing
                unseen = function.kind == "table" and not tables_known
                if owner == self.path and (present or unseen):
                    continue  # installed by this pack already (and still there)
                if owner is not None and owner != self.path:
                    conflicts.append(f"{function.name} (installed from {owner})")
                elif present and owner is None:
                    conflicts.append(function.name)
                else:
                    todo.append(function)
            if conflicts:
                raise NameConflictError(
                    f"cannot install {self.name} {self.version} from '{self.path}': "
                    f"the session already has {', '.join(conflicts)}; nothing was installed"
                )

            registered: set[str] = set()
            for function in todo:
                if function.kind == "scalar":
                    udf = ScalarUDF.from_pycapsule(self._native.scalar_udf(function.name))
                    # An alias is exported as a name of its own but registers with
                    # its function: register each function once.
                    if udf.name not in registered:
                        ctx.register_udf(udf)
                        registered.add(udf.name)
                else:
                    native = self._native.table_function(function.name)
                    ctx.register_udtf(TableFunction(function.name, native, ctx))
                ours[function.name] = self.path
            return tuple(function.name for function in todo)

    def __repr__(self) -> str:
        return f"<dfpack.Pack {self.name} {self.version} from '{self.path}'>"


def _function_names(ctx: Any) -> tuple[set[str], bool]:
    """Every function name ``ctx`` knows: scalar, aggregate and window functions,
    plus table functions when the session has information_schema (then the
    flag is True)."""
    names = set(ctx.udfs()) | set(ctx.udafs()) | set(ctx.udwfs())
    try:
        batches = ctx.sql(
            "SELECT DISTINCT routine_name FROM information_schema.routines"
        ).collect()
    except Exception:  # information_schema disabled: table functions go unchecked
        return names, False
    for batch in batches:
        names.update(batch.column(0).to_pylist())
    return names, True
