//! Installing a pack into a session: all or nothing, never replacing a name
//! the session already has.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Weak};

use dfpack_abi::ExportKind;
use dfpack_common::{Error, Result};
use datafusion::catalog::TableFunctionImpl;
use datafusion::execution::TaskContext;
use datafusion::execution::{FunctionRegistry, TaskContextProvider};
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::{ScalarUDF, ScalarUDFImpl};
use datafusion_ffi::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion::prelude::SessionContext;
use parking_lot::RwLock;

use crate::Pack;

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
    /// Installs everything this pack exports into `ctx`. See [`install_into_state`].
    pub fn install(self: &Arc<Self>, ctx: &SessionContext) -> Result<InstallReport> {
        install_into_state(self, &ctx.state_ref())
    }
}

/// Installs everything `pack` exports into the session behind `state`.
///
/// Transactional: every FFI object is built and every name checked before the
/// first is registered, so a failure leaves the session as it was. A name the
/// session already has (a built-in, the host's own function, another pack's)
/// is refused, naming it. Installing the same pack twice is a no-op, reported
/// as `already_installed`.
pub(crate) fn install_into_state(pack: &Arc<Pack>, state: &Arc<RwLock<SessionState>>) -> Result<InstallReport> {
    let mut report = InstallReport {
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

    let mut state = state.write();
    // Re-checked under the write lock: another thread may have installed meanwhile.
    let mut installed = installed_packs(&state);
    check_collisions(pack, &state, &installed)?;
    for udf in scalar_udfs {
        state.register_udf(Arc::new(udf))?;
    }
    for (name, function) in table_functions {
        state.register_udtf(&name, function);
    }
    for (name, _) in &report.functions {
        installed.owners.insert(name.clone(), (pack.name().to_string(), pack.path().to_path_buf()));
    }
    installed.paths.push(pack.path().to_path_buf());
    installed.task_ctx = Some(task_ctx);
    state.config_mut().set_extension(Arc::new(installed));
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
                let udf = ScalarUDF::new_from_shared_impl(foreign);
                covered.extend(std::iter::once(udf.name().to_string()).chain(udf.aliases().iter().cloned()));
                scalar_udfs.push(udf);
            }
            ExportKind::TableFunction => {
                let codec = FFI_LogicalExtensionCodec::new_default(&task_ctx);
                let ffi = pack.ffi_table_function(name, codec)?;
                table_functions.push((name.to_string(), Arc::<dyn TableFunctionImpl>::from(ffi)));
            }
        }
    }
    Ok((scalar_udfs, table_functions))
}
