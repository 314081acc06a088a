"""dfpack.contracts: the Python classes generated from schemas/*.json, checked
against the same fixtures and golden vectors the Rust crate (dfpack-contracts)
decodes, so both sides accept, refuse and encode payloads alike."""

from __future__ import annotations

import importlib.util
import json
import struct
from pathlib import Path
from typing import Any

import pytest

import dfpack
from dfpack import contracts
from dfpack.contracts import (
    AppTransaction,
    ArrowType,
    CheckConstraint,
    CommitOptions,
    ContractSpec,
    DatasetSpec,
    DictionaryKeyType,
    FeatureGate,
    FieldSpec,
    PayloadError,
    PluginManifest,
    ProtocolSupport,
    ScanOptions,
    TableReference,
    TableSchemaSpec,
    ValidationPolicy,
)

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "contracts" / "tests" / "fixtures"
SCHEMAS = ROOT / "schemas"

#: Every payload class by its schema file name (fixtures are named alike).
PAYLOADS = {
    value.SCHEMA_ID.rsplit("/", 1)[1]: value
    for value in vars(contracts).values()
    if isinstance(value, type) and "SCHEMA_ID" in vars(value)
}


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture(name: str) -> Any:
    return json.loads(fixture_text(name))


def canonical(value: Any) -> bytes:
    """The canonical MessagePack form of a plain payload, written from its rules
    (dfpack_common::canonical) without any MessagePack package: shortest ints
    and headers, map entries sorted by their encoded bytes."""
    if value is None:
        return b"\xc0"
    if value is True or value is False:
        return b"\xc3" if value else b"\xc2"
    if isinstance(value, int):
        if 0 <= value < 0x80:
            return bytes([value])
        if -32 <= value < 0:
            return struct.pack(">b", value)
        if value >= 0:
            for marker, fmt, limit in ((0xCC, ">B", 1 << 8), (0xCD, ">H", 1 << 16), (0xCE, ">I", 1 << 32)):
                if value < limit:
                    return bytes([marker]) + struct.pack(fmt, value)
            return b"\xcf" + struct.pack(">Q", value)
        for marker, fmt, limit in ((0xD0, ">b", 1 << 7), (0xD1, ">h", 1 << 15), (0xD2, ">i", 1 << 31)):
            if value >= -limit:
                return bytes([marker]) + struct.pack(fmt, value)
        return b"\xd3" + struct.pack(">q", value)
    if isinstance(value, str):
        data = value.encode()
        if len(data) < 32:
            return bytes([0xA0 | len(data)]) + data
        for marker, fmt, limit in ((0xD9, ">B", 1 << 8), (0xDA, ">H", 1 << 16)):
            if len(data) < limit:
                return bytes([marker]) + struct.pack(fmt, len(data)) + data
        return b"\xdb" + struct.pack(">I", len(data)) + data
    if isinstance(value, list):
        return _header(len(value), 0x90, 0xDC, 0xDD) + b"".join(canonical(item) for item in value)
    if isinstance(value, dict):
        entries = sorted(canonical(key) + canonical(item) for key, item in value.items())
        return _header(len(entries), 0x80, 0xDE, 0xDF) + b"".join(entries)
    raise TypeError(f"no canonical form for {value!r}")


def _schema_defaults():
    """The canonical form's default rule, shared with make_golden.py."""
    path = FIXTURES / "schema_defaults.py"
    spec = importlib.util.spec_from_file_location("schema_defaults", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


without_defaults = _schema_defaults().without_defaults


def _header(length: int, fix: int, short: int, long: int) -> bytes:
    if length < 16:
        return bytes([fix | length])
    if length < 1 << 16:
        return bytes([short]) + struct.pack(">H", length)
    return bytes([long]) + struct.pack(">I", length)


def test_every_schema_has_a_class_and_a_fixture():
    schema_files = sorted(path.name for path in SCHEMAS.glob("*.json"))
    assert sorted(PAYLOADS) == schema_files
    assert [sid.rsplit("/", 1)[1] for sid in contracts.SCHEMA_IDS] == schema_files
    assert all((FIXTURES / name).is_file() for name in schema_files)


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_fixtures_round_trip_through_dicts_and_json(name):
    cls = PAYLOADS[name]
    document = fixture(name)
    payload = cls.from_json(fixture_text(name))
    assert payload.to_dict() == document
    assert json.loads(payload.to_json()) == document
    assert cls.from_json(payload.to_json()) == payload
    assert cls.from_dict(document) == payload


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_python_payloads_have_the_golden_canonical_bytes(name):
    """The canonical bytes Rust pins for each fixture are those of the dict the
    Python class produces: the same payload on both sides."""
    golden = json.loads(fixture_text("golden.json"))[name]
    payload = PAYLOADS[name].from_json(fixture_text(name))
    assert canonical(without_defaults(payload.to_dict(), name)).hex() == golden["canonical"]


@pytest.mark.parametrize("name", sorted(path.name for path in (FIXTURES / "defaults").glob("*.json")))
def test_schema_defaults_are_left_out_of_the_golden_canonical_bytes(name):
    """A payload spelling out its defaults has the canonical bytes of the same
    payload without them (the Rust side pins the same vectors)."""
    golden = json.loads(fixture_text("golden.json"))[f"defaults/{name}"]
    payload = PAYLOADS[name].from_json(fixture_text(f"defaults/{name}"))
    stripped = without_defaults(payload.to_dict(), name)
    assert stripped != payload.to_dict()
    assert canonical(stripped).hex() == golden["canonical"]


def python_built_dataset() -> DatasetSpec:
    """dataset_spec.json, built with the classes."""
    schema = TableSchemaSpec(
        fields=[
            FieldSpec(name="event_id", type=ArrowType.Int64(), nullable=False),
            FieldSpec(
                name="event_time",
                type=ArrowType.Timestamp(unit="microsecond", timezone="UTC"),
                nullable=False,
                metadata={"comment": "Zeitpunkt des Ereignisses ✓"},
            ),
            FieldSpec(name="amount", type=ArrowType.Decimal128(precision=18, scale=2), nullable=True),
            FieldSpec(name="country", type=ArrowType.Utf8(), nullable=True),
        ],
        metadata={"owner": "data-eng"},
    )
    gate = FeatureGate(
        min_reader_version=3,
        min_writer_version=7,
        required_reader_features=["deletionVectors"],
        required_writer_features=["deletionVectors", "changeDataFeed"],
        support=ProtocolSupport(
            max_reader_version=3,
            reader_features=["columnMapping", "deletionVectors", "timestampNtz", "v2Checkpoint"],
        ),
    )
    return DatasetSpec(
        schema="sales",
        table_uri="s3://lake/sales/events",
        storage_options={"AWS_REGION": "eu-west-1", "AWS_S3_ALLOW_UNSAFE_RENAME": "true"},
        version=12,
        gate=gate,
        scan=ScanOptions(file_column="_file", parquet_pushdown=True),
        contract=ContractSpec(
            schema=schema,
            evolution="additive",
            check_constraints=[
                CheckConstraint(name="amount_non_negative", expression="amount >= 0"),
                CheckConstraint(name="known_country", expression="country IS NULL OR length(country) = 2"),
            ],
        ),
        validation=ValidationPolicy(enabled=True, mode="enforce", sample_limit=10000, collect_all=True),
        create_if_missing=False,
        partition_columns=["country"],
        commit=CommitOptions(
            metadata={"owner": "data-eng", "job": "nightly"},
            app_transaction=AppTransaction(app_id="nightly-etl", version=42),
            max_retries=5,
        ),
    )


def test_a_python_built_dataset_is_the_payload_rust_decodes():
    built = python_built_dataset()
    # The fixture is what the Rust tests decode and pin (golden.json).
    assert json.loads(built.to_json()) == fixture("dataset_spec.json")
    assert built == DatasetSpec.from_json(fixture_text("dataset_spec.json"))
    golden = json.loads(fixture_text("golden.json"))["dataset_spec.json"]["canonical"]
    assert canonical(without_defaults(built.to_dict(), "dataset_spec.json")).hex() == golden


def test_a_python_built_arrow_type_is_the_fixture():
    item = FieldSpec(name="item", type=ArrowType.Utf8(), nullable=True)
    built = ArrowType.Struct(
        fields=[
            FieldSpec(name="id", type=ArrowType.Int64(), nullable=False),
            FieldSpec(name="tags", type=ArrowType.List(field=item), nullable=True),
            FieldSpec(name="amount", type=ArrowType.Decimal128(precision=18, scale=2), nullable=True),
            FieldSpec(name="huge", type=ArrowType.Decimal256(precision=76, scale=-2), nullable=True),
            FieldSpec(name="at", type=ArrowType.Timestamp(unit="microsecond", timezone="UTC"), nullable=False),
            FieldSpec(name="digest", type=ArrowType.FixedSizeBinary(byte_width=32), nullable=True),
            FieldSpec(
                name="attrs",
                type=ArrowType.Map(
                    key=FieldSpec(name="key", type=ArrowType.Utf8(), nullable=False),
                    value=FieldSpec(
                        name="value",
                        type=ArrowType.Dictionary(key=DictionaryKeyType.Int32(), value=ArrowType.LargeUtf8()),
                        nullable=True,
                    ),
                    keys_sorted=False,
                ),
                nullable=True,
            ),
        ]
    )
    assert built.to_dict() == fixture("arrow_type.json")
    assert ArrowType.from_dict(fixture("arrow_type.json")) == built
    assert isinstance(built, ArrowType) and built.TYPE == "struct"


def test_the_loaded_packs_manifest_matches_its_schema(pack):
    manifest = pack.manifest
    plain = {**manifest, "exports": [{"name": name, "kind": kind} for name, kind in manifest["exports"]]}
    decoded = PluginManifest.from_dict(plain)
    assert decoded.pack_name == "dfpack"
    assert {"name": "stable_hash64", "kind": "scalar"} in decoded.to_dict()["exports"]


def refusal(cls: Any, data: Any) -> str:
    with pytest.raises(PayloadError) as caught:
        cls.from_dict(data)
    return str(caught.value)


def test_refusals_name_the_path_as_rust_does():
    # The same messages as the Rust decoder's (contracts/tests/it/decoding.rs).
    document = fixture("dataset_spec.json")
    document["contract"]["schema"]["fields"][2]["type"] = {"type": "time32", "unit": "hour"}
    assert refusal(DatasetSpec, document) == (
        "contract.schema.fields[2].type.unit: expected one of 'second', 'millisecond', found 'hour'"
    )
    assert refusal(AppTransaction, {"app_id": "etl", "version": 1, "versoin": 2}) == (
        "versoin: unknown property (expected one of: app_id, version)"
    )
    assert refusal(ArrowType, {"type": "int8", "precision": 3}) == "precision: unknown property (expected one of: type)"
    assert refusal(TableReference, {"uri": "/t", "version": 1, "timestamp": "2026-01-01"}) == (
        "(root): give either version or timestamp, not both"
    )
    assert refusal(FeatureGate, {"min_writer_version": 8}) == (
        "min_writer_version: expected an integer from 1 to 7, found 8"
    )
    assert refusal(FeatureGate, {"min_reader_version": 3.0}) == "min_reader_version: expected an integer, found a float"
    assert refusal(FeatureGate, {"min_reader_version": True}) == (
        "min_reader_version: expected an integer, found a boolean"
    )
    assert refusal(DatasetSpec, {"table_uri": ""}) == "table_uri: must not be empty"
    assert refusal(DatasetSpec, {"table_uri": "/t", "partition_columns": ["a", "b", "a"]}) == (
        "partition_columns[2]: repeats item 0 (items must be unique)"
    )
    assert refusal(FieldSpec, {"name": "a", "type": {"type": "list"}, "nullable": True}) == (
        "type.field: missing required property"
    )
    assert refusal(CommitOptions, {"metadata": {"a": "1", "b": 2}}) == "metadata.b: expected a string, found an integer"
    assert refusal(AppTransaction, [1, 2]) == "(root): expected an object, found an array"
    key_refusal = refusal(ArrowType, {"type": "dictionary", "key": {"type": "utf8"}, "value": {"type": "utf8"}})
    assert key_refusal.startswith("key.type: expected one of 'int8', 'int16'")


def test_a_payload_error_is_a_config_error_with_its_path():
    with pytest.raises(dfpack.ConfigError) as caught:
        ValidationPolicy(enabled=True, mode="loud")
    error = caught.value
    assert isinstance(error, PayloadError)
    assert (error.path, error.reason) == ("mode", "expected one of 'enforce', 'warn', found 'loud'")


def test_classes_check_their_values_when_built():
    with pytest.raises(PayloadError, match=r"^version: expected an integer from 0 to 9223372036854775807, found -1$"):
        AppTransaction(app_id="etl", version=-1)
    with pytest.raises(PayloadError, match=r"^\(root\): give either version or timestamp, not both$"):
        DatasetSpec(table_uri="/t", version=1, timestamp="2026-01-01")
    with pytest.raises(PayloadError, match=r"^type: expected an ArrowType, found an object$"):
        FieldSpec(name="a", type={"type": "int8"}, nullable=True)  # type: ignore[arg-type]
    # A value changed after building is caught when the payload is encoded.
    gate = FeatureGate(min_reader_version=3)
    gate.min_reader_version = 9
    with pytest.raises(PayloadError, match=r"^min_reader_version: expected an integer from 1 to 3, found 9$"):
        gate.to_json()


def test_json_is_decoded_strictly():
    assert AppTransaction.from_json(' {"app_id": "etl", "version": 1}\n') == AppTransaction(app_id="etl", version=1)
    with pytest.raises(PayloadError, match=r"^\(root\): duplicate property 'app_id'$"):
        AppTransaction.from_json('{"app_id": "a", "app_id": "b", "version": 1}')
    with pytest.raises(PayloadError, match=r"^\(root\): NaN is not JSON$"):
        CommitOptions.from_json('{"max_retries": NaN}')
    with pytest.raises(PayloadError, match=r"^\(root\): invalid JSON: Extra data"):
        AppTransaction.from_json('{"app_id": "etl", "version": 1} {}')
    oversized = " " * (contracts.MAX_PAYLOAD_BYTES + 1)
    with pytest.raises(PayloadError, match=r"larger than the limit of 16777216 bytes$"):
        AppTransaction.from_json(oversized)


def test_unions_dispatch_on_their_tag():
    decoded = ArrowType.from_dict({"type": "duration", "unit": "second"})
    assert decoded == ArrowType.Duration(unit="second")
    assert type(decoded) is contracts.ArrowTypeDuration
    with pytest.raises(PayloadError, match=r"^type: expected one of 'null', .* found 'union'$"):
        ArrowType.from_dict({"type": "union"})
    with pytest.raises(PayloadError, match=r"^type: expected 'int8', found 'int16'$"):
        contracts.ArrowTypeInt8.from_dict({"type": "int16"})
    assert ArrowType.Int8().to_json() == '{"type":"int8"}'


def test_a_union_base_is_not_a_payload_of_its_own():
    with pytest.raises(TypeError, match=r"^ArrowType is a union: build one of its variants, e.g. ArrowTypeNull$"):
        ArrowType()


def test_schemas_are_json_schema_and_fixtures_valid_when_jsonschema_is_installed():
    """An independent validator agrees with the generated decoders (jsonschema is
    not a test requirement: this runs where a developer installed it)."""
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    schemas = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in SCHEMAS.glob("*.json")}
    registry = referencing.Registry().with_resources(
        (schema["$id"], referencing.Resource.from_contents(schema)) for schema in schemas.values()
    )
    for name, schema in schemas.items():
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema, registry=registry)
        assert list(validator.iter_errors(fixture(name))) == [], name
    refused = jsonschema.Draft202012Validator(schemas["arrow_type.json"], registry=registry)
    assert not refused.is_valid({"type": "int8", "oops": 1})


def test_messagepack_round_trips_when_msgpack_is_installed():
    msgpack = pytest.importorskip("msgpack")
    payload = DatasetSpec.from_json(fixture_text("dataset_spec.json"))
    encoded = payload.to_msgpack()
    assert msgpack.unpackb(encoded) == fixture("dataset_spec.json")
    assert DatasetSpec.from_msgpack(encoded) == payload
    with pytest.raises(PayloadError, match=r"^\(root\): invalid MessagePack"):
        DatasetSpec.from_msgpack(encoded + b"\xc0")
    golden = bytes.fromhex(json.loads(fixture_text("golden.json"))["dataset_spec.json"]["canonical"])
    # The canonical form leaves the schema defaults out.
    assert DatasetSpec.from_msgpack(golden).to_dict() == without_defaults(payload.to_dict(), "dataset_spec.json")
