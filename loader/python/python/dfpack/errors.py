"""The exceptions dfpack raises, and :func:`classify` for the ones it cannot raise itself.

Every dfpack error message carries a stable tag, ``[dfpack:<kind>]``. dfpack's
own calls (``dfpack.load``, ``Pack.install``, the capsule getters) raise the
class of that kind directly. Errors from *queries* are raised by
datafusion-python, which knows nothing of dfpack: it raises its own exception
types (mostly ``Exception``) with the pack's message, tag included, somewhere
inside. :func:`classify` reads the tag back::

    try:
        ctx.sql("SELECT fixture_panic(13)").collect()
    except Exception as exc:
        if dfpack.classify(exc) is dfpack.InternalError:
            ...  # a panic inside the pack; the session is still usable

This module imports nothing but the standard library, so the compiled half of
the package can import it to build its exceptions.
"""

from __future__ import annotations

import re

__all__ = [
    "DfpackError",
    "AbiError",
    "ConfigError",
    "ProtocolGateError",
    "ContractViolation",
    "DeltaError",
    "DataFusionError",
    "ArrowError",
    "IoError",
    "InternalError",
    "NameConflictError",
    "classify",
    "error_class",
]


class DfpackError(Exception):
    """Base class of every dfpack error. ``kind`` is the tag's kind, e.g. ``"abi"``."""

    kind: str | None = None


class AbiError(DfpackError, ImportError):
    """A pack that cannot be used here: missing, not a dfpack plugin, or built
    for another version (pack ABI, datafusion-ffi, datafusion, arrow, target).
    An ``ImportError``, as importing a module built for another Python is."""

    kind = "abi"


class ConfigError(DfpackError, ValueError):
    """Bad configuration or arguments."""

    kind = "config"


class ProtocolGateError(DfpackError):
    """A Delta table needs a protocol feature this pack does not support."""

    kind = "protocol_gate"


class ContractViolation(DfpackError):
    """A contract was broken: a contract-bound dataset's table drifted from its
    contract (a missing column, a type, nullability, an extra column under
    ``strict``, metadata), its data failed validation in ``enforce`` mode
    (the message names the column or constraint, the failing rows and samples),
    or a function's documented contract was broken by its input."""

    kind = "contract"


class DeltaError(DfpackError):
    """An error from the Delta Lake layer."""

    kind = "delta"


class DataFusionError(DfpackError):
    """A DataFusion error raised inside the pack."""

    kind = "datafusion"


class ArrowError(DfpackError):
    """An Arrow error raised inside the pack."""

    kind = "arrow"


class IoError(DfpackError, OSError):
    """An I/O error raised inside the pack."""

    kind = "io"


class InternalError(DfpackError):
    """A panic inside the pack (caught at the FFI boundary) or another bug.
    The query that hit it failed; the session and the process are fine."""

    kind = "internal"


class NameConflictError(DfpackError, ValueError):
    """``Pack.install`` refused: the context already has functions of the pack's
    names, or a catalog of its catalog's name, that this pack did not install.
    Nothing was registered."""

    kind = None


_BY_KIND: dict[str, type[DfpackError]] = {
    cls.kind: cls
    for cls in (
        AbiError,
        ConfigError,
        ProtocolGateError,
        ContractViolation,
        DeltaError,
        DataFusionError,
        ArrowError,
        IoError,
        InternalError,
    )
    if cls.kind is not None
}

_TAG = re.compile(r"\[dfpack:([A-Za-z0-9_]+)\]")


def error_class(kind: str) -> type[DfpackError]:
    """The class for a tag's kind (``"abi"`` -> :class:`AbiError`); :class:`DfpackError`
    for a kind this version does not know (one added by a newer pack)."""
    return _BY_KIND.get(kind, DfpackError)


def classify(exc: BaseException | None) -> type[DfpackError] | None:
    """The dfpack exception class that ``exc`` stands for, or ``None``.

    ``exc`` may be any exception: one dfpack raised (its own class is returned),
    or one datafusion-python raised for a query whose error came from the pack,
    recognised by the first ``[dfpack:<kind>]`` tag in its message (however many
    layers of "External error: " / "FFI error: " wrap it), or failing that in its
    ``__cause__`` / ``__context__`` chain. A tag of a kind this version does not
    know gives :class:`DfpackError`. ``None`` means the error did not come from
    dfpack (a SQL typo, a missing table, ...).
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DfpackError):
            return type(exc)
        try:
            message = str(exc)
        except Exception:  # a broken __str__ must not hide the original error
            message = ""
        found = _TAG.search(message)
        if found is not None:
            return error_class(found.group(1))
        exc = exc.__cause__ or exc.__context__
    return None
