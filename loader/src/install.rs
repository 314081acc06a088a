//! Installing a pack into a session: all or nothing, never replacing a name
//! the session already has.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Weak};

use dfpack_abi::ExportKind;
use dfpack_common::{Error, Result};
use datafusion::catalog::{CatalogProvider, TableFunctionImpl, TableProviderFactory};
use datafusion::execution::TaskContext;
use datafusion::execution::{FunctionRegistry, TaskContextProvider};
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::logical_expr::{ScalarUDF, ScalarUDFImpl};
use datafusion_ffi::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion::prelude::SessionContext;
use parking_lot::RwLock;

use crate::Pack;
use crate::scalar_udf::PackScalarUdf;

/// What `install` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallReport {
    pub pack_name: String,
    pub pack_version: String,
    pub path: PathBuf,
    /// Registered names with their kinds; empty when the pack was already installed.
    pub functions: Vec<(String, ExportKind)>,
    /// The pack was already installed in this session: nothing changed.
    pub already_installed: bool,
    /// The catalog the pack's config registered, and the `STORED AS` format of its factory.
    pub catalog: Option<(String, String)>,
    /// The physical optimizer rule the pack added to the session (its name).
    pub physical_optimizer_rule: Option<String>,
}

/// Which packs a session has, and which names each registered. Kept in the
/// session config so it lives exactly as long as the session.
#[derive(Clone, Default)]
struct InstalledPacks {
    /// name → (pack name, pack path) that registered it.
    owners: BTreeMap<String, (String, PathBuf)>,
    paths: Vec<PathBuf>,
    /// Hands table functions the live session (datafusion-ffi holds it weakly,
    /// so it must be owned somewhere that lives as long as the session).
    task_ctx: Option<Arc<dyn TaskContextProvider + Send + Sync>>,
}

/// The session's current task context, read through a weak reference so the
/// session does not own itself.
struct SessionTaskContext(Weak<RwLock<SessionState>>);

impl TaskContextProvider for SessionTaskContext {
    fn task_ctx(&self) -> Arc<TaskContext> {
        match self.0.upgrade() {
            Some(state) => state.read().task_ctx(),
            // Only reachable after the session is gone, when no query can run.
            None => Arc::new(TaskContext::default()),
        }
    }
}

impl Pack {
    /// Installs everything this pack exports into `ctx`, with the default
    /// pack config. See [`install_into_state`].
    pub fn install(self: &Arc<Self>, ctx: &SessionContext) -> Result<InstallReport> {
        install_into_state(self, &ctx.state_ref(), "")
    }

    /// Installs everything this pack exports into `ctx`, its catalog built
    /// from `config` (the text of a pack config, TOML or JSON). A config with
    /// errors installs nothing and reports every error.
    pub fn install_with_config(self: &Arc<Self>, ctx: &SessionContext, config: &str) -> Result<InstallReport> {
        install_into_state(self, &ctx.state_ref(), config)
    }
}

/// Installs everything `pack` exports into the session behind `state`.
///
/// Transactional: every FFI object is built and every name checked before the
/// first is registered, so a failure leaves the session as it was. A name the
/// session already has (a built-in, the host's own function, another pack's)
/// is refused, naming it. Installing the same pack twice is a no-op, reported
/// as `already_installed`.
pub(crate) fn install_into_state(
    pack: &Arc<Pack>,
    state: &Arc<RwLock<SessionState>>,
    config: &str,
) -> Result<InstallReport> {
    let mut report = InstallReport {
        catalog: None,
        physical_optimizer_rule: None,
        pack_name: pack.name().to_string(),
        pack_version: pack.version().to_string(),
        path: pack.path().to_path_buf(),
        functions: pack.exports().map(|(name, kind)| (name.to_string(), kind)).collect(),
        already_installed: false,
    };
    let installed = installed_packs(&state.read());
    if installed.paths.iter().any(|path| path == pack.path()) {
        report.functions.clear();
        report.already_installed = true;
        return Ok(report);
    }
    check_collisions(pack, &state.read(), &installed)?;

    let task_ctx = installed.task_ctx.clone().unwrap_or_else(|| {
        Arc::new(SessionTaskContext(Arc::downgrade(state))) as Arc<dyn TaskContextProvider + Send + Sync>
    });
    let (scalar_udfs, table_functions) = build_foreign(pack, &task_ctx)?;
    let catalog = build_catalog(pack, &task_ctx, config)?;
    let rule = pack
        .ffi_physical_optimizer_rule()?
        .map(|ffi| Arc::<dyn PhysicalOptimizerRule + Send + Sync>::from(&ffi));

    let mut state = state.write();
    // Re-checked under the write lock: another thread may have installed meanwhile.
    let mut installed = installed_packs(&state);
    check_collisions(pack, &state, &installed)?;
    if let Some(catalog) = &catalog {
        check_catalog_collisions(pack, &state, catalog)?;
    }
    for udf in scalar_udfs {
        state.register_udf(Arc::new(udf))?;
    }
    for (name, function) in table_functions {
        state.register_udtf(&name, function);
    }
    for (name, _) in &report.functions {
        installed.owners.insert(name.clone(), (pack.name().to_string(), pack.path().to_path_buf()));
    }
    if let Some(catalog) = catalog {
        state.catalog_list().register_catalog(catalog.name.clone(), catalog.catalog);
        state.table_factories_mut().insert(catalog.format.clone(), catalog.factory);
        report.catalog = Some((catalog.name, catalog.format));
    }
    installed.paths.push(pack.path().to_path_buf());
    installed.task_ctx = Some(task_ctx);
    state.config_mut().set_extension(Arc::new(installed));
    if let Some(rule) = rule {
        // A session state has no setter for its physical rules: rebuild it in
        // place (the lock, which the session and task contexts share, stays).
        report.physical_optimizer_rule = Some(rule.name().to_string());
        let rebuilt = SessionStateBuilder::new_from_existing(state.clone()).with_physical_optimizer_rule(rule).build();
        *state = rebuilt;
    }
    Ok(report)
}

fn installed_packs(state: &SessionState) -> InstalledPacks {
    state
        .config()
        .get_extension::<InstalledPacks>()
        .map(|installed| installed.as_ref().clone())
        .unwrap_or_default()
}

fn check_collisions(pack: &Pack, state: &SessionState, installed: &InstalledPacks) -> Result<()> {
    // Names already taken, grouped by who owns them, so the message stays readable.
    let mut taken: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, kind) in pack.exports() {
        let registered = match kind {
            ExportKind::ScalarUdf => {
                state.scalar_functions().contains_key(name)
                    || state.aggregate_functions().contains_key(name)
                    || state.window_functions().contains_key(name)
            }
            ExportKind::TableFunction => state.table_functions().contains_key(name),
        };
        if !registered {
            continue;
        }
        let owner = match installed.owners.get(name) {
            Some((owner, path)) => format!("from pack '{owner}' at '{}'", path.display()),
            None => "defined by the host".to_string(),
        };
        taken.entry(owner).or_default().push(format!("{name} ({})", kind.as_str()));
    }
    if taken.is_empty() {
        return Ok(());
    }
    let owners: Vec<String> =
        taken.iter().map(|(owner, names)| format!("{owner}: {}", names.join(", "))).collect();
    Err(Error::Abi(format!(
        "cannot install pack '{}' from '{}': the session already has functions of the same names, {}; \
         nothing was installed",
        pack.name(),
        pack.path().display(),
        owners.join("; ")
    )))
}

/// A pack's catalog and table factory, as host-side proxies.
struct ForeignCatalog {
    name: String,
    catalog: Arc<dyn CatalogProvider>,
    format: String,
    factory: Arc<dyn TableProviderFactory>,
}

/// Builds the pack's catalog from `config`; `None` for a pack that serves none
/// (a config is then not this pack's: the report shows no catalog).
fn build_catalog(
    pack: &Pack,
    task_ctx: &Arc<dyn TaskContextProvider + Send + Sync>,
    config: &str,
) -> Result<Option<ForeignCatalog>> {
    let task_ctx: Arc<dyn TaskContextProvider> = Arc::clone(task_ctx) as Arc<dyn TaskContextProvider>;
    let Some(handle) = pack.ffi_catalog(config, FFI_LogicalExtensionCodec::new_default(&task_ctx))? else {
        return Ok(None);
    };
    Ok(Some(ForeignCatalog {
        name: handle.name.to_string(),
        catalog: Arc::<dyn CatalogProvider>::from(&handle.catalog),
        format: handle.factory_format.to_string(),
        factory: Arc::<dyn TableProviderFactory>::from(&handle.factory),
    }))
}

fn check_catalog_collisions(pack: &Pack, state: &SessionState, catalog: &ForeignCatalog) -> Result<()> {
    let mut taken = Vec::new();
    if state.catalog_list().catalog(&catalog.name).is_some() {
        taken.push(format!("a catalog named '{}'", catalog.name));
    }
    if state.table_factories().contains_key(&catalog.format) {
        taken.push(format!("a table factory for STORED AS {}", catalog.format));
    }
    if taken.is_empty() {
        return Ok(());
    }
    Err(Error::Abi(format!(
        "cannot install pack '{}' from '{}': the session already has {}; nothing was installed \
         (name the pack's catalog differently with `[catalog] name = \"…\"` in the pack config)",
        pack.name(),
        pack.path().display(),
        taken.join(" and ")
    )))
}

type ForeignTableFunctions = Vec<(String, Arc<dyn TableFunctionImpl>)>;

/// Builds the host-side proxies of every export, before anything is registered.
fn build_foreign(
    pack: &Pack,
    task_ctx: &Arc<dyn TaskContextProvider + Send + Sync>,
) -> Result<(Vec<ScalarUDF>, ForeignTableFunctions)> {
    let task_ctx: Arc<dyn TaskContextProvider> = Arc::clone(task_ctx) as Arc<dyn TaskContextProvider>;
    let mut scalar_udfs: Vec<ScalarUDF> = Vec::new();
    let mut table_functions = Vec::new();
    // An alias is exported as its own entry but registered with its function.
    let mut covered = HashSet::new();
    for (name, kind) in pack.exports() {
        match kind {
            ExportKind::ScalarUdf if covered.contains(name) => {}
            ExportKind::ScalarUdf => {
                let ffi = pack.ffi_scalar_udf(name)?;
                let foreign: Arc<dyn ScalarUDFImpl> = (&ffi).into();
                let udf = match pack.ffi_scalar_kernel(name)? {
                    Some(kernel) => {
                        let binder = pack.scalar_kernel_binder(name);
                        ScalarUDF::new_from_impl(PackScalarUdf::new(foreign, kernel, binder))
                    }
                    None => ScalarUDF::new_from_shared_impl(foreign),
                };
                covered.extend(std::iter::once(udf.name().to_string()).chain(udf.aliases().iter().cloned()));
                scalar_udfs.push(udf);
            }
            ExportKind::TableFunction => {
                let codec = FFI_LogicalExtensionCodec::new_default(&task_ctx);
                let ffi = pack.ffi_table_function(name, codec)?;
                let foreign = Arc::<dyn TableFunctionImpl>::from(ffi);
                table_functions.push((name.to_string(), foreign));
            }
        }
    }
    Ok((scalar_udfs, table_functions))
}
