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
