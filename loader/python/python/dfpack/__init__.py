"""dfpack for Python: load ``libdfpack.so`` and install its functions, its Delta
catalog and its ``STORED AS DELTATABLE`` table factory into a
``datafusion.SessionContext``.

    >>> import dfpack
    >>> from datafusion import SessionContext
    >>> ctx = SessionContext()
    >>> pack = dfpack.load()            # the libdfpack.so bundled with this package
    >>> pack.install(ctx)               # every function, the catalog 'delta', DELTATABLE
    >>> ctx.sql("SELECT stable_hash64('hello')").collect()

Delta tables: name them in a pack config (a ``.toml`` or ``.json`` file, or a
dict), and they are tables of the pack's catalog. Any other Delta table is read
by location, or added with ``CREATE EXTERNAL TABLE``:

    >>> ctx = SessionContext()
    >>> pack = dfpack.load(config={     # or a path: dfpack.load(config="pack.toml")
    ...     "catalog": {"name": "delta"},
    ...     "datasets": {
    ...         "events": {"table_uri": "/data/events"},
    ...         "events_v2": {"table_uri": "/data/events", "version": 2},
    ...     },
    ... })
    >>> pack.install(ctx)
    >>> ctx.sql("SELECT count(*) FROM delta.default.events").collect()
    >>> ctx.sql("SELECT * FROM read_delta('/data/events', 2)").collect()
    >>> ctx.sql("CREATE EXTERNAL TABLE t STORED AS DELTATABLE LOCATION '/data/events'").collect()

Every table is held against a protocol gate: a table that needs a Delta
feature the pack cannot read stays listed (``SHOW TABLES``) but reading it
fails with a message naming the feature (:class:`ProtocolGateError` by
:func:`classify`). A config with errors is refused by :func:`load` with a
:class:`ConfigError` listing every error with its path
(``datasets.events.gate.min_reader_version: ...``).

The pack is a compiled plugin built against one datafusion major (and its
datafusion-ffi major). :func:`load` refuses, with an :class:`AbiError` (an
``ImportError``) naming both sides, a pack built for another host, and refuses
to hand functions to a datafusion Python package of another major, which would
crash instead of failing.

Writes: ``INSERT INTO`` / ``INSERT OVERWRITE`` into a dataset (or a
``CREATE EXTERNAL TABLE``) commit through the pack. Per-write commit options
(an application transaction for idempotent retries, commit metadata, a retry
budget) are session options: create the context with :func:`session_config`,
then use :func:`commit_options` around the writes (or ``SET dfpack.commit.*``):

    >>> ctx = SessionContext(dfpack.session_config())
    >>> pack.install(ctx)
    >>> with dfpack.commit_options(ctx, app_id="nightly", app_version=42, metadata={"run": "r-42"}):
    ...     ctx.sql("INSERT INTO delta.default.events SELECT * FROM staging").collect()

Errors raised while a *query* runs come from datafusion-python, not from
dfpack; :func:`classify` maps them to the classes below by the
``[dfpack:<kind>]`` tag their message carries.
"""

from __future__ import annotations

import datetime as _datetime
import json
import math
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, Union

from . import _native, contracts, errors
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
    "ConfigSource",
    "Function",
    "Pack",
    "load",
    "bundled_path",
    "session_config",
    "session_options",
    "commit_options",
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


#: What :func:`load` takes as a pack config: a path to a ``.toml`` or ``.json``
#: file, a dict (written out as JSON), or ``None`` for the defaults.
ConfigSource = Union[str, "os.PathLike[str]", Mapping[str, Any], None]


def load(path: str | Path | None = None, config: ConfigSource = None) -> Pack:
    """Load and verify a pack; by default the ``libdfpack.so`` bundled with this package.

    ``config`` is the pack config the pack's Delta catalog is built from:

    - ``None``: the defaults, a catalog named ``delta`` with one empty schema,
      ``default`` (Delta tables are then read with ``read_delta(...)`` or added
      with ``CREATE EXTERNAL TABLE ... STORED AS DELTATABLE``);
    - a path (``str`` or ``os.PathLike``) to a ``.toml`` or ``.json`` file;
    - a dict, in the same shape as the file (``{"catalog": {"name": ...},
      "datasets": {"events": {"table_uri": ..., "version": 3}}}``). It is
      written out as JSON: ``pathlib.Path`` values become strings, dates and
      datetimes ISO 8601 / RFC 3339 text (give datetimes a time zone).

    The config is checked here, completely: nothing is returned for a config
    with errors.

    Loading the same file twice returns the same underlying pack (a shared
    library is never unloaded); each call builds its own catalog from its config.

    Raises:
        AbiError: (an ``ImportError``) the file is missing or not a dfpack
            plugin, the pack was built for another pack ABI / datafusion-ffi /
            datafusion / arrow / target than this package, or the installed
            ``datafusion`` Python package has another major version than the
            pack was built for. The message names the path and both versions.
        ConfigError: (a ``ValueError``) the config cannot be read, or has
            errors: the message lists every one, each with its path
            (``datasets.events.gate.min_reader_version: expected an integer from 1 to 3, found 9``).
    """
    if path is None:
        path = bundled_path()
        if not path.is_file():
            raise AbiError(
                f"[dfpack:abi] cannot load plugin '{path}': this dfpack package has no bundled "
                f"{_BUNDLED_NAME} (a development install without the pack copied in?); "
                "pass the path of a libdfpack.so to dfpack.load()"
            )
    source = _PackConfig.of(config)
    native = _native.load(Path(path))
    _check_datafusion_package(native.manifest)
    try:
        served = native.catalog(source.text)
    except ConfigError as exc:
        if source.path is None:
            raise
        raise ConfigError(
            f"[dfpack:config] pack config '{source.path}': {_untagged(str(exc))}"
        ) from None
    if served is None and source.given:
        raise ConfigError(
            f"[dfpack:config] a pack config was given, but the pack '{native.path}' serves no "
            "catalog to apply it to"
        )
    return Pack(native, source, served)


def _untagged(message: str) -> str:
    """``message`` without its leading ``[dfpack:<kind>]`` tag."""
    head, _, rest = message.partition("] ")
    return rest if head.startswith("[dfpack:") else message


class _PackConfig(NamedTuple):
    """A pack config as :func:`load` was given it, and the text handed to the pack."""

    text: str  # TOML or JSON; "" for the defaults
    path: Path | None  # the file it was read from
    value: dict[str, Any] | None  # the dict it was given as (JSON-compatible copy)

    @property
    def given(self) -> bool:
        return self.path is not None or self.value is not None

    @staticmethod
    def of(config: ConfigSource) -> _PackConfig:
        if config is None:
            return _PackConfig("", None, None)
        if isinstance(config, Mapping):
            value = _json_value(config, "")
            text = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=1)
            return _PackConfig(text, None, value)
        if isinstance(config, (str, os.PathLike)):
            return _PackConfig._read(Path(config))
        raise TypeError(
            "dfpack.load(config=...) takes the path of a .toml or .json file, a dict, or None, "
            f"not {type(config).__name__}"
        )

    @staticmethod
    def _read(path: Path) -> _PackConfig:
        suffix = path.suffix.lower()
        if suffix not in (".toml", ".json"):
            raise ConfigError(
                f"[dfpack:config] pack config '{path}': expected a .toml or a .json file"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"[dfpack:config] cannot read pack config '{path}': {exc}") from exc
        # The pack tells JSON from TOML by the first character: say so for a .json
        # file that is not an object, rather than report it as bad TOML.
        if suffix == ".json" and not text.lstrip().startswith("{"):
            raise ConfigError(
                f"[dfpack:config] pack config '{path}': a JSON pack config is an object ({{...}})"
            )
        if suffix == ".toml" and text.lstrip().startswith("{"):
            raise ConfigError(
                f"[dfpack:config] pack config '{path}': not TOML (it starts with '{{'; "
                "name a JSON config .json)"
            )
        return _PackConfig(text, path, None)


def _json_value(value: Any, where: str) -> Any:
    """``value`` as JSON-compatible data; a ConfigError naming the path of a value that is not."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"[dfpack:config] {where or 'config'}: {value} is not a JSON number")
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (_datetime.datetime, _datetime.date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConfigError(
                    f"[dfpack:config] {where or 'config'}: key {key!r} is not a string"
                )
            out[key] = _json_value(item, f"{where}.{key}" if where else key)
        return out
    if isinstance(value, (list, tuple)):
        return [_json_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise ConfigError(
        f"[dfpack:config] {where or 'config'}: a value of type {type(value).__name__} cannot be "
        "part of a pack config (use strings, numbers, booleans, lists and dicts)"
    )


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


# What dfpack installed into which session, by SessionContext.session_id():
# {session_id: {function name: path of the pack it came from}}.
_installed: dict[str, dict[str, str]] = {}
# {session_id: {catalog name: (pack path, config text)}}: a catalog is this pack's
# when the same pack file built it from the same config.
_installed_catalogs: dict[str, dict[str, tuple[str, str]]] = {}
# {session_id: {STORED AS format: (pack path, config text)}}.
_installed_factories: dict[str, dict[str, tuple[str, str]]] = {}
#: session id -> pack paths whose physical optimizer rule the session has.
_installed_rules: dict[str, set[str]] = {}
_installed_lock = threading.Lock()


class Pack:
    """A loaded, verified pack, with the catalog its config describes. Get one from :func:`load`."""

    def __init__(
        self,
        native: _native.Pack,
        config: _PackConfig | None = None,
        served: tuple[_native.PackCatalog, _native.PackTableFactory] | None = None,
    ) -> None:
        self._native = native
        self._manifest = dict(native.manifest)
        self._config = config if config is not None else _PackConfig("", None, None)
        self._catalog, self._factory = served if served is not None else (None, None)

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
    def plugin_manifest(self) -> contracts.PluginManifest:
        """The manifest as the schema's payload class (``schemas/plugin_manifest.json``):
        the same values as :attr:`manifest`, each export a ``contracts.ExportEntry``."""
        return contracts.PluginManifest.from_json(self._native.manifest_json)

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

    @property
    def config(self) -> dict[str, Any] | str | None:
        """The pack config this pack's catalog was built from, as :func:`load` got it:
        the dict (a fresh JSON-compatible copy: paths and datetimes as strings),
        the text of the file, or ``None`` for the defaults."""
        if self._config.value is not None:
            return json.loads(self._config.text)
        if self._config.path is not None:
            return self._config.text
        return None

    @property
    def config_path(self) -> Path | None:
        """The file the pack config was read from; ``None`` for a dict or the defaults."""
        return self._config.path

    @property
    def catalog_name(self) -> str | None:
        """The name of the catalog :meth:`install` registers (``delta`` unless the
        config's ``[catalog] name`` says otherwise); ``None`` for a pack that serves
        no catalog."""
        return None if self._catalog is None else self._catalog.name

    @property
    def table_format(self) -> str | None:
        """The ``STORED AS`` name of the table factory :meth:`install` registers
        (``DELTATABLE``); ``None`` for a pack that serves no catalog."""
        return None if self._factory is None else self._factory.format

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

    def catalog_provider(self) -> _native.PackCatalog | None:
        """The pack's catalog, for ``ctx.register_catalog_provider(pack.catalog_name, obj)``
        (datafusion-python then calls ``obj.__datafusion_catalog_provider__(ctx)``);
        ``None`` for a pack that serves no catalog. :meth:`install` does this for you."""
        return self._catalog

    def table_factory(self) -> _native.PackTableFactory | None:
        """The pack's table factory, for ``ctx.register_table_factory(pack.table_format, obj)``;
        ``None`` for a pack that serves no catalog. :meth:`install` does this for you."""
        return self._factory

    def physical_optimizer_rule(self) -> _native.PackPhysicalOptimizerRule | None:
        """The pack's physical optimizer rule, the contract check, for
        ``ctx.add_physical_optimizer_rule(obj)``; ``None`` for a pack that serves
        none. :meth:`install` does this for you."""
        return self._native.physical_optimizer_rule()

    def install(self, ctx: Any) -> tuple[str, ...]:
        """Register the whole pack into ``ctx`` (a ``datafusion.SessionContext``):
        every function it exports, its catalog (named :attr:`catalog_name`,
        ``delta`` by default: ``SELECT * FROM delta.default.events``), its
        table factory (``CREATE EXTERNAL TABLE t STORED AS DELTATABLE LOCATION '...'``)
        and its contract rule (a physical optimizer rule holding reads of
        contract-bound datasets to their contracts; a violation raises an
        exception that :func:`classify` maps to :class:`ContractViolation`).

        Returns the names of the functions newly registered (the catalog is not
        in it; see :attr:`catalog_name`). Installing the same pack into the same
        session again registers nothing and returns ``()``. A pack loaded from
        the same file with another config (another catalog name) may be
        installed into a session that has this one: it adds its catalog; the
        functions and the table factory stay those installed first.

        All or nothing: every object is built and every name checked before the
        first is registered. Refuses, with :class:`NameConflictError`, when
        ``ctx`` already has

        - a function of one of the pack's names that this pack did not install:
          a built-in, a UDF of the user's, or one from another pack. Scalar
          names are checked against the session's scalar, aggregate and window
          function registries; table function names against
          ``information_schema.routines``, so only when the session has
          information_schema enabled (datafusion-python's default). Without it,
          a table function the user registered under a pack's name is silently
          replaced, as ``register_udtf`` itself does;
        - a catalog named :attr:`catalog_name` that this pack (this file with
          this config) did not install. Name the pack's catalog differently with
          ``[catalog] name = "..."`` in the pack config.

        A ``STORED AS DELTATABLE`` factory the user registered by hand cannot be
        seen from Python (datafusion-python lists no table factories): it is replaced.
        """
        from datafusion import ScalarUDF, SessionContext, TableFunction

        if not isinstance(ctx, SessionContext):
            raise TypeError(
                f"Pack.install takes a datafusion.SessionContext, not {type(ctx).__name__}"
            )
        existing, tables_known = _function_names(ctx)
        catalogs = set(ctx.catalog_names())
        session = ctx.session_id()
        me = (self.path, self._config.text)
        with _installed_lock:
            ours = _installed.get(session, {})
            our_catalogs = _installed_catalogs.get(session, {})
            our_factories = _installed_factories.get(session, {})
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

            catalog_todo = False
            catalog_conflict = False
            name = self.catalog_name
            if name is not None:
                owner_of_catalog = our_catalogs.get(name)
                if name not in catalogs:
                    catalog_todo = True
                elif owner_of_catalog != me:
                    catalog_conflict = True
                    if owner_of_catalog is None:
                        conflicts.append(f"a catalog named '{name}'")
                    elif owner_of_catalog[0] == self.path:
                        conflicts.append(
                            f"a catalog named '{name}' (installed from {self.path} "
                            "with another pack config)"
                        )
                    else:
                        conflicts.append(
                            f"a catalog named '{name}' (installed from {owner_of_catalog[0]})"
                        )
            table_format = self.table_format
            factory_todo = table_format is not None and table_format not in our_factories

            if conflicts:
                hint = (
                    " (name the pack's catalog differently with `[catalog] name = \"...\"` "
                    "in the pack config)"
                    if catalog_conflict
                    else ""
                )
                raise NameConflictError(
                    f"cannot install {self.name} {self.version} from '{self.path}': "
                    f"the session already has {', '.join(conflicts)}; nothing was installed{hint}"
                )

            # Build everything first: any of these may fail, and nothing is registered yet.
            udfs = []
            for function in todo:
                if function.kind == "scalar":
                    udfs.append(ScalarUDF.from_pycapsule(self._native.scalar_udf(function.name)))
            udtfs = [
                TableFunction(function.name, self._native.table_function(function.name), ctx)
                for function in todo
                if function.kind == "table"
            ]
            catalog_capsule = (
                self._catalog.__datafusion_catalog_provider__(ctx) if catalog_todo else None
            )
            factory_capsule = (
                self._factory.__datafusion_table_provider_factory__(ctx) if factory_todo else None
            )
            rule = (
                None
                if self.path in _installed_rules.get(session, set())
                else self._native.physical_optimizer_rule()
            )

            registered: set[str] = set()
            for udf in udfs:
                # An alias is exported as a name of its own but registers with
                # its function: register each function once.
                if udf.name not in registered:
                    ctx.register_udf(udf)
                    registered.add(udf.name)
            for udtf in udtfs:
                ctx.register_udtf(udtf)
            if catalog_capsule is not None:
                ctx.register_catalog_provider(name, catalog_capsule)
                _installed_catalogs.setdefault(session, {})[name] = me
            if factory_capsule is not None:
                ctx.register_table_factory(table_format, factory_capsule)
                _installed_factories.setdefault(session, {})[table_format] = me
            if rule is not None:
                ctx.add_physical_optimizer_rule(rule)
                _installed_rules.setdefault(session, set()).add(self.path)
            session_functions = _installed.setdefault(session, {})
            for function in todo:
                session_functions[function.name] = self.path
            return tuple(function.name for function in todo)

    def __repr__(self) -> str:
        if self._config.path is not None:
            config = f", config '{self._config.path}'"
        elif self._config.value is not None:
            config = ", config from a dict"
        else:
            config = ""
        catalog = f" (catalog '{self.catalog_name}'{config})" if self.catalog_name else ""
        return f"<dfpack.Pack {self.name} {self.version} from '{self.path}'{catalog}>"


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


# --- session options (writes) -----------------------------------------------------

#: The session options of a write's commit, as ``SET dfpack.commit.<key>``.
_COMMIT_KEYS = ("app_id", "app_version", "metadata", "max_retries")


def session_options() -> Any:
    """The pack's session options, for ``SessionConfig.with_extension``: a
    session built with them accepts ``SET dfpack.<key> = '...'``."""
    return _native.SessionOptions()


def session_config(config: Any = None) -> Any:
    """``config`` (a ``datafusion.SessionConfig``, a new one by default) with
    the pack's session options registered."""
    if config is None:
        from datafusion import SessionConfig

        config = SessionConfig()
    return config.with_extension(session_options())


@contextmanager
def commit_options(
    ctx: Any,
    *,
    app_id: str | None = None,
    app_version: int | None = None,
    metadata: Mapping[str, str] | None = None,
    max_retries: int | None = None,
) -> Iterator[None]:
    """Commit options for the writes run inside the block (the dataset's own
    options hold for any key not given here).

    ``app_id`` with ``app_version`` commit an application transaction: a write
    whose ``app_id`` already committed ``app_version`` or a later one writes
    nothing and reports 0 rows. ``metadata`` entries go into the commit's
    ``commitInfo``. ``max_retries`` bounds the retries of a commit that lost a
    race with another writer.

    Every write in the block gets the same options (two inserts with one
    ``app_version``: the second is a replay). On leaving the block the keys it
    set are cleared, so they do not leak into later writes. ``ctx`` must have
    been created with :func:`session_config`.
    """
    values = {
        "app_id": app_id,
        "app_version": None if app_version is None else str(int(app_version)),
        "metadata": None if metadata is None else json.dumps({str(k): str(v) for k, v in metadata.items()}),
        "max_retries": None if max_retries is None else str(int(max_retries)),
    }
    given = {key: value for key, value in values.items() if value is not None}
    if (app_id is None) != (app_version is None):
        raise ConfigError("commit_options: give app_id and app_version together, or neither")
    try:
        for key, value in given.items():
            _set(ctx, f"dfpack.commit.{key}", value)
        yield
    finally:
        for key in given:
            _set(ctx, f"dfpack.commit.{key}", "")


def _set(ctx: Any, key: str, value: str) -> None:
    quoted = value.replace("'", "''")
    try:
        ctx.sql(f"SET {key} = '{quoted}'").collect()
    except Exception as error:  # datafusion raises its own exception types
        if "namespace" in str(error):
            raise ConfigError(
                f"the session does not accept {key}: create it with "
                "SessionContext(dfpack.session_config())"
            ) from error
        raise
