-- Parity queries: every host must give the same answer to each, natively and
-- through FFI. One query per line; each returns one column of text (values are
-- cast to VARCHAR by DataFusion itself, so no host-specific rendering is compared).
-- Run by tests/it/parity.rs (Rust native vs FFI, and the CLI) and
-- loader/python/tests/test_parity.py (datafusion-python vs the CLI).
SELECT CAST(stable_hash64('hello') AS VARCHAR)
SELECT CAST(stable_hash64(NULL) AS VARCHAR)
SELECT CAST(stable_hash64(1, 'a', 2.5, true) AS VARCHAR)
SELECT CAST(stable_hash64(arrow_cast('hi', 'LargeUtf8')) AS VARCHAR)
SELECT CAST(stable_hash64(arrow_cast('hi', 'Utf8View')) AS VARCHAR)
SELECT CAST(stable_hash64(column1, column2) AS VARCHAR) FROM (VALUES (1, 'x'), (2, NULL), (3, ''), (NULL, 'z')) ORDER BY column1
SELECT CAST(stable_hash64('k', column1) AS VARCHAR) FROM (VALUES (1), (2), (3)) ORDER BY column1
SELECT CAST(stable_hash64(make_array(1, NULL), named_struct('a', 'x'), MAP {'k': 1}) AS VARCHAR)
SELECT stable_hash128('hello')
SELECT stable_hash128(column1, column2) FROM (VALUES (1, 'x'), (2, NULL), (NULL, 'z')) ORDER BY column1
SELECT stable_id('user', column1) FROM (VALUES (42), (43), (NULL)) ORDER BY column1
SELECT stable_id(column1, 42) FROM (VALUES ('a'), ('b'), (NULL)) ORDER BY column1
SELECT prefixed_hash64('order', column1, 'eu') FROM (VALUES (1), (2)) ORDER BY column1
SELECT canonical_fingerprint(column1) FROM (VALUES (1), (NULL), (3)) ORDER BY column1
SELECT canonical_fingerprint(named_struct('b', 1.5, 'a', make_array(1, NULL)))
SELECT encode(msgpack_encode(column1), 'hex') FROM (VALUES ('a'), ('bc'), (NULL)) ORDER BY column1
SELECT msgpack_to_json(msgpack_encode(named_struct('b', 1.5, 'a', make_array(1, NULL))))
SELECT msgpack_to_json(decode(column1, 'hex')) FROM (VALUES ('82a16101a162c0'), ('93010203'), (NULL)) ORDER BY column1
SELECT encode(metadata_map_encode(MAP {'k': 'v', 'a': 'b'}), 'hex')
SELECT msgpack_to_json(msgpack_encode(metadata_map_decode(metadata_map_encode(MAP {'k': 'v', 'a': NULL}))))
SELECT msgpack_to_json(msgpack_encode(map_entries_text(MAP {'a': 1, 'b': NULL, 'c': 3})))
SELECT msgpack_to_json(msgpack_encode(map_entries_text(MAP {'x': make_array(1, 2), 'y': NULL})))
SELECT CAST(map_get_default(MAP {'a': 1, 'b': 2}, column1, 0) AS VARCHAR) FROM (VALUES ('a'), ('z'), ('b')) ORDER BY column1
SELECT array_to_string(list_unique_sorted(column1), ',') FROM (VALUES (make_array(3, 1, NULL, 3)), (make_array(2)), (NULL)) ORDER BY 1
SELECT array_to_string(list_unique_sorted(make_array('b', 'a', 'b', NULL)), ',')
SELECT utf8_normalize(column1) FROM (VALUES ('e' || chr(769)), ('plain'), (NULL)) ORDER BY 1
SELECT utf8_normalize('Ｅ́cole  ﬁ', 'NFKC', true, true)
SELECT utf8_normalize(column1, 'NFD') FROM (VALUES ('é'), ('x')) ORDER BY 1
SELECT utf8_null_if_blank(column1) FROM (VALUES (''), ('  '), ('a b'), (NULL)) ORDER BY 1
