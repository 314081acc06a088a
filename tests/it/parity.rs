//! Parity: every query in tests/parity/queries.sql gives the same rows natively
//! (the UDFs registered in this process), through FFI (the pack as a separate
//! image), and through the real dfpack-cli binary.

use std::process::Command;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;
use std::sync::Arc;

use datafusion::logical_expr::{ScalarUDF, ScalarUDFImpl};
use dfpack_loader::{ExportKind, PackScalarUdf};
use dfpack_tests::{ImageCopy, artifact, pack_image, query, session_with_pack};

fn parity_queries() -> Vec<String> {
    let path = dfpack_common::crate_dir!().join("parity/queries.sql");
    std::fs::read_to_string(path)
        .expect("parity queries")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("--"))
        .map(String::from)
        .collect()
}

/// The rows of a one-text-column query, `None` for NULL.
async fn text_rows(ctx: &SessionContext, sql: &str) -> Vec<Option<String>> {
    let batches = query(ctx, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut rows = Vec::new();
    for batch in batches {
        assert_eq!(batch.num_columns(), 1, "{sql}: parity queries return one column");
        let column = datafusion::arrow::compute::cast(batch.column(0), &DataType::Utf8).expect("cast to text");
        let strings = column.as_string::<i32>();
        rows.extend((0..strings.len()).map(|i| strings.is_valid(i).then(|| strings.value(i).to_string())));
    }
    rows
}

fn native_session() -> SessionContext {
    let ctx = SessionContext::new();
    for udf in dfpack_udfs::scalar_functions() {
        ctx.register_udf(udf.as_ref().clone());
    }
    ctx
}

#[tokio::test]
async fn every_parity_query_answers_the_same_natively_and_through_ffi() {
    let native = native_session();
    let (foreign, _image) = session_with_pack();
    let queries = parity_queries();
    assert!(queries.len() >= 5, "the parity file lists the queries");
    for sql in queries {
        let expected = text_rows(&native, &sql).await;
        assert!(!expected.is_empty(), "{sql}: returns rows");
        assert_eq!(text_rows(&foreign, &sql).await, expected, "{sql}");
    }
}

/// A session with every pack function registered through its `FFI_ScalarUDF`
/// alone, as hosts other than dfpack's loader (datafusion-python) register them:
/// evaluation without the pack's kernel, constants expanded to arrays.
fn ffi_scalar_udf_session(image: &ImageCopy) -> SessionContext {
    let pack = image.load();
    let ctx = SessionContext::new();
    let mut kernels = 0;
    for (name, kind) in pack.exports() {
        if kind != ExportKind::ScalarUdf {
            continue;
        }
        let ffi = pack.ffi_scalar_udf(name).expect("FFI_ScalarUDF");
        let foreign: Arc<dyn ScalarUDFImpl> = (&ffi).into();
        ctx.register_udf(ScalarUDF::new_from_shared_impl(foreign));
        kernels += usize::from(pack.ffi_scalar_kernel(name).expect("kernel call").is_some());
    }
    assert!(kernels > 0, "the pack serves kernels: the loader's sessions evaluate through them, this one does not");
    ctx
}

#[tokio::test]
async fn every_parity_query_answers_the_same_with_and_without_the_packs_kernel() {
    let native = native_session();
    let image = ImageCopy::of(&pack_image());
    let without_kernel = ffi_scalar_udf_session(&image);
    for sql in parity_queries() {
        let expected = text_rows(&native, &sql).await;
        assert_eq!(text_rows(&without_kernel, &sql).await, expected, "{sql}");
    }
}

/// A session whose pack functions evaluate through the unbound kernel of pack
/// ABI 1.2 (what the loader falls back to when a call cannot be bound), where
/// the loader's own sessions bind each call site.
fn unbound_kernel_session(image: &ImageCopy) -> SessionContext {
    let pack = image.load();
    let ctx = SessionContext::new();
    for (name, kind) in pack.exports() {
        if kind != ExportKind::ScalarUdf {
            continue;
        }
        assert!(pack.scalar_kernel_binder(name).is_some(), "{name}: the pack binds kernels (ABI 1.3)");
        let ffi = pack.ffi_scalar_udf(name).expect("FFI_ScalarUDF");
        let foreign: Arc<dyn ScalarUDFImpl> = (&ffi).into();
        let kernel = pack.ffi_scalar_kernel(name).expect("kernel call").expect("a kernel");
        ctx.register_udf(ScalarUDF::new_from_impl(PackScalarUdf::new(foreign, kernel, None)));
    }
    ctx
}

#[tokio::test]
async fn every_parity_query_answers_the_same_through_the_unbound_kernel() {
    let native = native_session();
    let image = ImageCopy::of(&pack_image());
    let unbound = unbound_kernel_session(&image);
    for sql in parity_queries() {
        let expected = text_rows(&native, &sql).await;
        assert_eq!(text_rows(&unbound, &sql).await, expected, "{sql}");
    }
}

/// The CLI prints NDJSON objects of one field each; NULL appears as a missing field.
fn cli_rows(sql: &str) -> Vec<Option<String>> {
    let output = Command::new(artifact("dfpack-cli"))
        .args(["-q", "--format", "nd-json", "--plugin"])
        .arg(artifact("libdfpack.so"))
        .args(["-c", sql])
        .output()
        .expect("run dfpack-cli");
    assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| {
            let row: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{sql}: {line}: {e}"));
            row.values().next().and_then(|value| value.as_str().map(String::from))
        })
        .collect()
}

#[tokio::test]
async fn every_parity_query_answers_the_same_in_the_cli() {
    let native = native_session();
    for sql in parity_queries() {
        assert_eq!(cli_rows(&sql), text_rows(&native, &sql).await, "{sql}");
    }
}
