//! The pack's own introspection, and parity: the same answers through FFI as natively.

use datafusion::prelude::SessionContext;
use dfpack_tests::{query_table, query_value, session_with_pack};

#[tokio::test]
async fn pack_manifest_describes_the_loaded_image() {
    let (ctx, image) = session_with_pack();
    let sql = "SELECT name, version, abi, datafusion_version, ffi_version, target, path FROM pack_manifest()";
    let batches = dfpack_tests::query(&ctx, sql).await.unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
    let row: Vec<String> = (0..7)
        .map(|i| datafusion::arrow::util::display::array_value_to_string(batches[0].column(i), 0).unwrap())
        .collect();
    assert_eq!(row[0], "dfpack");
    assert_eq!(row[1], env!("CARGO_PKG_VERSION"));
    assert_eq!(row[2], dfpack_tests::host_pack_abi());
    assert_eq!(row[3], datafusion::DATAFUSION_VERSION);
    assert_eq!(row[4], datafusion::DATAFUSION_VERSION.split('.').next().unwrap());
    assert!(row[5].contains("linux"), "{}", row[5]);
    assert_eq!(row[6], image.path.canonicalize().unwrap().display().to_string());
}

#[tokio::test]
async fn pack_functions_carries_the_documentation_that_ffi_drops() {
    let (ctx, _image) = session_with_pack();
    for udf in dfpack_udfs::scalar_functions() {
        let docs = udf.documentation().expect("every UDF is documented");
        let sql = format!(
            "SELECT kind || '|' || description || '|' || syntax || '|' || example FROM pack_functions() WHERE name = '{}'",
            udf.name()
        );
        let expected = format!("scalar|{}|{}|{}", docs.description, docs.syntax_example, docs.sql_example.clone().unwrap_or_default());
        assert_eq!(query_value(&ctx, &sql).await, expected);
    }
    let tables =
        query_value(&ctx, "SELECT string_agg(name, ',' ORDER BY name) FROM pack_functions() WHERE kind = 'table'").await;
    assert_eq!(
        tables,
        "delta_add_actions,delta_history,delta_protocol_check,delta_snapshot,pack_contract_check,\
         pack_contract_violations,pack_contracts,pack_delta_scans,pack_functions,\
         pack_manifest,read_delta"
    );
    let undocumented = query_value(&ctx, "SELECT count(*) FROM pack_functions() WHERE description = '' OR syntax = ''").await;
    assert_eq!(undocumented, "0");
}

#[tokio::test]
async fn pack_functions_show_up_in_information_schema_and_show_functions() {
    let (ctx, _image) = session_with_pack();
    let routines = query_value(
        &ctx,
        "SELECT count(*) FROM information_schema.routines WHERE routine_name = 'stable_hash64'",
    )
    .await;
    assert_eq!(routines, "1");
    // SHOW FUNCTIONS joins each routine with example parameter types. datafusion-ffi
    // hands every scalar UDF over with a user-defined signature, which has none, so
    // pack scalar functions cannot be listed there (pack_functions() has them);
    // pack table functions are.
    let shown = query_table(&ctx, "SHOW FUNCTIONS LIKE 'pack%'").await;
    for name in ["pack_functions", "pack_manifest", "pack_delta_scans"] {
        assert!(shown.lines().any(|line| line.starts_with(&format!("| {name} ")) && line.contains("| TABLE")), "{shown}");
    }
}

#[tokio::test]
async fn stable_hash64_gives_the_same_answer_through_ffi_as_natively() {
    let (foreign, _image) = session_with_pack();
    let native = SessionContext::new();
    for udf in dfpack_udfs::scalar_functions() {
        native.register_udf(udf.as_ref().clone());
    }
    let queries = [
        "SELECT stable_hash64('hello')",
        "SELECT stable_hash64(NULL)",
        "SELECT stable_hash64(1, 'a', 2.5, true)",
        "SELECT stable_hash64(arrow_cast('hi', 'LargeUtf8'))",
        "SELECT stable_hash64(arrow_cast('hi', 'Utf8View'))",
        "SELECT string_agg(CAST(stable_hash64(column1, column2) AS VARCHAR), ',' ORDER BY column1) \
         FROM (VALUES (1, 'x'), (2, NULL), (3, ''), (NULL, 'z'))",
    ];
    for sql in queries {
        assert_eq!(query_value(&foreign, sql).await, query_value(&native, sql).await, "{sql}");
    }
    // A constant argument arrives through FFI as an array: same answer per row.
    let per_row = query_table(&foreign, "SELECT stable_hash64('k', column1) FROM (VALUES (1), (2))").await;
    let native_rows = query_table(&native, "SELECT stable_hash64('k', column1) FROM (VALUES (1), (2))").await;
    assert_eq!(per_row, native_rows);
}
