//! Installing: everything registered, nothing replaced, all or nothing.



use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use datafusion::prelude::SessionContext;
use dfpack_loader::{ErrorKind, ExportKind, SessionFactory};
use dfpack_tests::{ImageCopy, fixture_image, pack_image, query, query_table, query_value};

fn function_names(ctx: &SessionContext) -> (Vec<String>, Vec<String>) {
    let state = ctx.state();
    let mut scalars: Vec<String> = state.scalar_functions().keys().cloned().collect();
    let mut tables: Vec<String> = state.table_functions().keys().cloned().collect();
    scalars.sort();
    tables.sort();
    (scalars, tables)
}

#[tokio::test]
async fn install_registers_every_export() {
    let copy = ImageCopy::of(&pack_image());
    let pack = copy.load();
    let ctx = SessionContext::new();
    let report = pack.install(&ctx).expect("install");
    assert!(!report.already_installed);
    assert_eq!(report.functions.len(), pack.exports().count());
    let (scalars, tables) = function_names(&ctx);
    for (name, kind) in pack.exports() {
        let registered = match kind {
            ExportKind::ScalarUdf => &scalars,
            ExportKind::TableFunction => &tables,
        };
        assert!(registered.iter().any(|n| n == name), "{name} was not registered");
    }
    assert_eq!(query_value(&ctx, "SELECT count(*) FROM pack_functions()").await, pack.exports().count().to_string());
}

#[tokio::test]
async fn installing_the_same_pack_twice_is_a_reported_no_op() {
    let copy = ImageCopy::of(&pack_image());
    let pack = copy.load();
    let ctx = SessionContext::new();
    pack.install(&ctx).expect("first install");
    let before = function_names(&ctx);
    let again = pack.install(&ctx).expect("second install");
    assert!(again.already_installed);
    assert!(again.functions.is_empty());
    assert_eq!(function_names(&ctx), before);
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct HostFunction {
    signature: Signature,
}

impl ScalarUDFImpl for HostFunction {
    fn name(&self) -> &str {
        "stable_hash64"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, _: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar("the host's own".into()))
    }
}

#[tokio::test]
async fn a_name_the_host_already_has_is_refused_and_nothing_changes() {
    let ctx = SessionContext::new();
    ctx.register_udf(ScalarUDF::new_from_impl(HostFunction {
        signature: Signature::variadic_any(Volatility::Immutable),
    }));
    let before = function_names(&ctx);
    let copy = ImageCopy::of(&pack_image());
    let error = copy.load().install(&ctx).expect_err("collides with the host's stable_hash64");
    assert_eq!(error.kind(), ErrorKind::Abi);
    let message = error.to_string();
    assert!(message.contains("defined by the host: stable_hash64 (scalar)"), "{message}");
    assert!(message.contains("nothing was installed"), "{message}");
    assert_eq!(function_names(&ctx), before, "a refused install must change nothing");
    assert_eq!(query_value(&ctx, "SELECT stable_hash64(1)").await, "the host's own");
}

#[tokio::test]
async fn two_packs_exporting_one_name_collide_naming_the_first_pack() {
    let pack = ImageCopy::of(&pack_image());
    let fixture = ImageCopy::of(&fixture_image());
    let ctx = SessionContext::new();
    pack.load().install(&ctx).expect("install dfpack");
    let before = function_names(&ctx);
    let error = fixture.load().install(&ctx).expect_err("both export stable_hash64");
    let message = error.to_string();
    assert!(message.contains("cannot install pack 'dfpack_fixture'"), "{message}");
    let owned = message.split("from pack 'dfpack' at '").nth(1).unwrap_or_default();
    assert!(owned.contains("stable_hash64 (scalar)") && owned.contains("pack_manifest (table)"), "{message}");
    // All or nothing: the fixture's own, non-colliding functions are not there either.
    assert_eq!(function_names(&ctx), before);
    assert!(!function_names(&ctx).0.contains(&"fixture_panic".to_string()));
}

#[tokio::test]
async fn the_session_factory_builds_sessions_that_each_get_the_pack() {
    let copy = ImageCopy::of(&pack_image());
    let factory = SessionFactory::new().with_pack(copy.load());
    let first = factory.build().unwrap();
    let second = factory.build().unwrap();
    let a = query_value(&first, "SELECT stable_hash64('x')").await;
    let b = query_value(&second, "SELECT stable_hash64('x')").await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn load_plugin_installs_at_run_time_from_sql() {
    let ctx = SessionFactory::new().with_sql_plugin_loading(true).build().unwrap();
    let copy = ImageCopy::of(&pack_image());
    let sql = format!("SELECT function, kind, already_installed FROM load_plugin('{}') ORDER BY function", copy.path.display());
    let installed = query(&ctx, &sql).await.unwrap();
    let rendered = datafusion::arrow::util::pretty::pretty_format_batches(&installed).unwrap().to_string();
    let row = rendered.lines().find(|line| line.contains(" stable_hash64 ")).unwrap_or_default();
    assert!(row.contains("| scalar ") && row.trim_end().ends_with("| false             |"), "{rendered}");
    assert!(query_value(&ctx, "SELECT stable_hash64('now available')").await.parse::<i64>().is_ok());
    let again = query_table(&ctx, &sql).await;
    let rows: Vec<&str> = again.lines().filter(|line| line.starts_with("| ") && !line.contains("function")).collect();
    assert_eq!(rows.len(), 1, "{again}");
    assert!(rows[0].trim_end().ends_with("| true              |"), "{again}");
    let missing = ctx.sql("SELECT * FROM load_plugin('/no/such/plugin.so')").await;
    let message = missing.expect_err("a missing plugin is an error").to_string();
    assert!(message.contains("[dfpack:abi] cannot load plugin '/no/such/plugin.so'"), "{message}");
}

#[tokio::test]
async fn sql_plugin_loading_is_off_unless_asked_for() {
    let ctx = SessionFactory::new().build().unwrap();
    let result = ctx.sql("SELECT * FROM load_plugin('/tmp/x.so')").await;
    assert!(result.is_err());
}
