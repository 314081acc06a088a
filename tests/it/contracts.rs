//! The contract rule through the FFI path: a Rust host loading a private copy
//! of `libdfpack.so`, whose rule the loader adds to the session, reading
//! contract-bound datasets over real Delta tables that drifted (a version
//! written here with deltalake-core, on a temp copy of a shared table).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::{SessionConfig, SessionContext};
use deltalake_core::DeltaTableBuilder;
use deltalake_core::operations::write::SchemaMode;
use dfpack_loader::{ErrorKind, SessionFactory};
use dfpack_tests::{ImageCopy, copy_delta_table, pack_image, query_error, rows};
use url::Url;

/// One private copy of the pack for these tests: a debug image is hundreds of
/// MB and a loaded copy holds its disk space until the process ends. The
/// tests share its contract registry and violation log, so each uses dataset
/// names of its own.
fn image() -> &'static ImageCopy {
    static IMAGE: OnceLock<ImageCopy> = OnceLock::new();
    IMAGE.get_or_init(|| ImageCopy::of(&pack_image()))
}

/// A session over `config` with one target partition, so each dataset is read
/// by one validation stream and counts are exact.
fn session(config: &str) -> SessionContext {
    SessionFactory::new()
        .with_config(SessionConfig::new().with_information_schema(true).with_target_partitions(1))
        .with_pack(image().load())
        .with_pack_config(config)
        .build()
        .unwrap_or_else(|e| panic!("a session: {e}\n{config}"))
}

fn url_of(path: &Path) -> Url {
    Url::from_directory_path(path).unwrap_or_else(|()| panic!("{} is not an absolute directory", path.display()))
}

/// Appends rows to a table natively: `id`s, and a `note` column when given
/// (merged into the table's schema: the drift the contracts must catch).
async fn append(table: &Path, ids: Vec<Option<i64>>, notes: Option<Vec<&str>>) -> u64 {
    let table = DeltaTableBuilder::from_url(url_of(table)).expect("a URL").load().await.expect("the table loads");
    let mut fields = vec![Field::new("id", DataType::Int64, true)];
    let mut columns: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(ids))];
    let merge = notes.is_some();
    if let Some(notes) = notes {
        fields.push(Field::new("note", DataType::Utf8, true));
        columns.push(Arc::new(StringArray::from(notes)));
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("a batch");
    let mut write = table.write(vec![batch]);
    if merge {
        write = write.with_schema_mode(SchemaMode::Merge);
    }
    let written = write.await.expect("deltalake appends");
    written.version().expect("a version")
}

fn dataset(name: &str, path: &Path, extra: &str) -> String {
    format!("[datasets.{name}]\ntable_uri = '{}'\n{extra}\n", path.display())
}

/// A contract of one `id` column.
fn contract(evolution: &str, id_nullable: bool, constraints: &str) -> String {
    format!(
        "contract = {{ evolution = \"{evolution}\", schema = {{ fields = [{{ name = \"id\", type = {{ type = \"int64\" }}, \
         nullable = {id_nullable} }}] }}{constraints} }}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drifted_table_is_caught_under_each_policy_at_the_version_read() {
    let copy = copy_delta_table("simple_table");
    let drifted = append(copy.path(), vec![Some(100)], Some(vec!["added"])).await;
    let pinned = drifted - 1;
    let config = [
        dataset("strict", copy.path(), &contract("strict", true, "")),
        dataset("additive", copy.path(), &contract("additive", true, "")),
        dataset("relaxed", copy.path(), &contract("relaxed", true, "")),
        dataset("strict_before", copy.path(), &format!("version = {pinned}\n{}", contract("strict", true, ""))),
        dataset("keyed", copy.path(), &contract("additive", false, "")),
        dataset("keyed_relaxed", copy.path(), &contract("relaxed", false, "")),
    ]
    .concat();
    let ctx = session(&config);

    let message = query_error(&ctx, "SELECT * FROM delta.default.strict").await;
    assert_eq!(ErrorKind::find_in(&message), Some(ErrorKind::Contract), "{message}");
    assert!(
        message.contains(&format!(
            "[dfpack:contract] dataset 'strict' at version {drifted} does not match its contract (evolution strict, \
             read): column 'note' (Utf8) is not in the contract (evolution strict)"
        )),
        "{message}"
    );
    // The other policies let the extra column through; the version before the drift matches.
    assert!(rows(&ctx, "SELECT note FROM delta.default.additive WHERE id = 100").await == ["added"]);
    assert!(rows(&ctx, "SELECT note FROM delta.default.relaxed WHERE id = 100").await == ["added"]);
    assert!(!rows(&ctx, "SELECT id FROM delta.default.strict_before").await.is_empty());

    let message = query_error(&ctx, "SELECT id FROM delta.default.keyed").await;
    assert!(
        message.contains(&format!(
            "dataset 'keyed' at version {drifted} does not match its contract (evolution additive, read): column \
             'id': expected NOT NULL, found nullable"
        )),
        "{message}"
    );
    assert!(!rows(&ctx, "SELECT id FROM delta.default.keyed_relaxed").await.is_empty());

    // On demand, as rows.
    let check = rows(&ctx, "SELECT dataset, version, kind, \"column\", expected, found FROM pack_contract_check('strict')").await;
    assert_eq!(check, [format!("strict|{drifted}|extra_column|note|no such column|Utf8")]);
    assert!(rows(&ctx, "SELECT * FROM pack_contract_check('strict_before')").await.is_empty());
    let listed = rows(
        &ctx,
        "SELECT dataset, evolution FROM pack_contracts() WHERE dataset IN ('additive', 'keyed', 'keyed_relaxed', \
         'relaxed', 'strict', 'strict_before') ORDER BY dataset",
    )
    .await;
    assert_eq!(
        listed,
        ["additive|additive", "keyed|additive", "keyed_relaxed|relaxed", "relaxed|relaxed", "strict|strict", "strict_before|strict"]
    );
}

/// A copy of simple_table with a version holding a null id and ids over 7.
async fn table_with_bad_rows() -> (tempfile::TempDir, u64) {
    let copy = copy_delta_table("simple_table");
    let version = append(copy.path(), vec![None, Some(10), Some(11)], None).await;
    (copy, version)
}

const SMALL_IDS: &str = ", check_constraints = [{ name = \"small_id\", expression = \"id < 7\" }]";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_fails_the_query_naming_counts_and_samples() {
    let (copy, version) = table_with_bad_rows().await;
    let config = dataset(
        "enforced",
        copy.path(),
        &format!("{}\nvalidation = {{ enabled = true, mode = \"enforce\", collect_all = true }}", contract("relaxed", false, SMALL_IDS)),
    ) + &dataset("plain", copy.path(), "");
    let ctx = session(&config);
    let total = rows(&ctx, "SELECT count(*) FROM delta.default.plain").await;
    let large = rows(&ctx, "SELECT count(*) FROM delta.default.plain WHERE id >= 7").await;

    let message = query_error(&ctx, "SELECT * FROM delta.default.enforced").await;
    assert_eq!(ErrorKind::find_in(&message), Some(ErrorKind::Contract), "{message}");
    assert!(
        message.contains(&format!(
            "[dfpack:contract] dataset 'enforced' at version {version} failed validation (read): column 'id' NOT \
             NULL: 1 of {} rows checked failing, e.g. row ",
            total[0]
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!("constraint 'small_id' (id < 7): {} of {} rows checked failing, e.g. id=", large[0], total[0])),
        "{message}"
    );
    assert!(message.contains("id=10") || message.contains("id=11") || message.contains("id=7") || message.contains("id=9"), "{message}");
    let recorded = rows(
        &ctx,
        "SELECT mode, \"check\", name, failing_rows FROM pack_contract_violations() WHERE dataset = 'enforced' ORDER BY seq",
    )
    .await;
    assert_eq!(recorded, ["enforce|not_null|id|1".to_string(), format!("enforce|check_constraint|small_id|{}", large[0])]);
}

/// Under enforce with collect_all a LIMIT cannot end the query before its
/// failure: no batch with a failing row is passed on, and every row is
/// counted before the query fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_with_collect_all_fails_a_limited_query_after_counting_every_row() {
    let (copy, version) = table_with_bad_rows().await;
    let negative = ", check_constraints = [{ name = \"negative_id\", expression = \"id < 0\" }]";
    let enforce_all = "validation = { enabled = true, mode = \"enforce\", collect_all = true }";
    let config = dataset("limited", copy.path(), &format!("{}\n{enforce_all}", contract("relaxed", false, negative)))
        + &dataset("limited_plain", copy.path(), "");
    let ctx = session(&config);
    let large = rows(&ctx, "SELECT count(*) FROM delta.default.limited_plain WHERE id > 5").await;

    // Every row fails a check (a null id fails NOT NULL), so any row a LIMIT takes is a failing one.
    for sql in ["SELECT id FROM delta.default.limited LIMIT 1", "SELECT * FROM delta.default.limited LIMIT 2"] {
        let message = query_error(&ctx, sql).await;
        assert_eq!(ErrorKind::find_in(&message), Some(ErrorKind::Contract), "{sql}: {message}");
        assert!(
            message.contains(&format!("[dfpack:contract] dataset 'limited' at version {version} failed validation (read): ")),
            "{sql}: {message}"
        );
    }
    // A filter keeps the LIMIT out of the validated scan: the scan's rows are
    // all drained and counted (the filter's rows, pushed into the scan).
    let message = query_error(&ctx, "SELECT id FROM delta.default.limited WHERE id > 5 LIMIT 1").await;
    assert!(
        message.contains(&format!(
            "failed validation (read): constraint 'negative_id' (id < 0): {0} of {0} rows checked failing",
            large[0]
        )),
        "{message}"
    );
    assert_ne!(large[0], "1", "the LIMIT alone would have stopped at one row");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warn_passes_the_rows_and_records_the_violations() {
    let (copy, version) = table_with_bad_rows().await;
    let config = dataset(
        "warned",
        copy.path(),
        &format!("{}\nvalidation = {{ enabled = true, mode = \"warn\" }}", contract("relaxed", false, SMALL_IDS)),
    ) + &dataset("plain", copy.path(), "");
    let ctx = session(&config);
    let all = rows(&ctx, "SELECT id FROM delta.default.plain ORDER BY id").await;
    assert_eq!(rows(&ctx, "SELECT id FROM delta.default.warned ORDER BY id").await, all);
    let large = all.iter().filter(|id| id.parse::<i64>().is_ok_and(|id| id >= 7)).count();
    let recorded = rows(
        &ctx,
        "SELECT version, operation, \"check\", name, expression, failing_rows, rows_checked, cardinality(samples) > 0 \
         FROM pack_contract_violations() WHERE dataset = 'warned' ORDER BY seq",
    )
    .await;
    assert_eq!(
        recorded,
        [
            format!("{version}|read|not_null|id|NULL|1|{}|true", all.len()),
            format!("{version}|read|check_constraint|small_id|id < 7|{large}|{}|true", all.len()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loader_adds_the_rule_once_and_reports_it() {
    let pack = image().load();
    let ctx = SessionContext::new();
    let report = pack.install(&ctx).expect("installed");
    assert_eq!(report.physical_optimizer_rule.as_deref(), Some("dfpack_contract_check"));
    let again = pack.install(&ctx).expect("a no-op");
    assert!(again.already_installed);
    let count = ctx.state().physical_optimizers().iter().filter(|r| r.name() == "dfpack_contract_check").count();
    assert_eq!(count, 1);
    // The session keeps working after the state was rebuilt with the rule.
    assert_eq!(rows(&ctx, "SELECT count(*) FROM pack_contract_violations()").await.len(), 1);
}
