//! What the lean calls take from the host: its config (parsed once per distinct
//! config), and its filters decoded with the pack's own functions.

use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::context::SessionState;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::Expr;
use datafusion::prelude::SessionConfig;
use datafusion_ffi::execution::FFI_TaskContext;
use datafusion_ffi::session::config::FFI_SessionConfig;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::logical_plan::from_proto::parse_expr;
use datafusion_proto::protobuf::LogicalExprList;
use prost::Message;
use stabby::string::String as SString;

use super::layout::ConfigOptionsLayout;

/// DataFusion's functions and the pack's own, built once: filters and plans are
/// resolved against these instead of proxies of the host's registry.
fn local_functions() -> &'static Arc<TaskContext> {
    static LOCAL: LazyLock<Arc<TaskContext>> = LazyLock::new(|| {
        let mut builder = SessionStateBuilder::new().with_default_features();
        // A pack function shadows a built-in of the same name, as in the host.
        builder.scalar_functions().get_or_insert_default().extend(crate::export::served_scalar_udfs());
        builder.build().task_ctx()
    });
    &LOCAL
}

/// One runtime environment for every lean call (datafusion-ffi builds a default
/// one afresh for each): the pack's scans bring their own object stores
/// (`TableRuntimeExec`), and the host's memory pool never crosses FFI.
fn runtime_env() -> Arc<RuntimeEnv> {
    static RUNTIME_ENV: LazyLock<Arc<RuntimeEnv>> = LazyLock::new(|| Arc::new(RuntimeEnv::default()));
    Arc::clone(&RUNTIME_ENV)
}

/// A host config the pack has seen, parsed once: parsing its ~200 options, and
/// building a session over them, cost more than the rest of a lean call.
struct KnownConfig {
    /// The options as the host sent them (base options, then extension options).
    options: Vec<(SString, SString)>,
    session: Arc<SessionState>,
    /// The task context last built over this config, with its session and task ids.
    task: Mutex<Option<Arc<TaskContext>>>,
}

/// The last few configs seen, newest first: a host usually sends one config
/// for every call of a query, and of the queries after it.
static KNOWN: Mutex<Vec<Arc<KnownConfig>>> = Mutex::new(Vec::new());
const KNOWN_CONFIGS: usize = 4;

fn known(host: &FFI_SessionConfig) -> Result<Arc<KnownConfig>> {
    let layout = ConfigOptionsLayout::of(&host.config_options);
    let extensions = &*layout.extensions;
    // SAFETY: the host's own function, given the options it came with.
    let extension_options = unsafe { (extensions.entries)(extensions) };
    let sent = || layout.base_options.iter().chain(extension_options.iter());
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = known.iter().position(|config| config.options.iter().eq(sent())) {
        let config = known.remove(found);
        known.insert(0, Arc::clone(&config));
        return Ok(config);
    }
    let config = Arc::new(KnownConfig {
        options: sent().cloned().collect(),
        session: Arc::new(session(SessionConfig::try_from(host)?)),
        task: Mutex::new(None),
    });
    known.insert(0, Arc::clone(&config));
    known.truncate(KNOWN_CONFIGS);
    Ok(config)
}

/// A session for the pack's providers: the host's config, the pack's functions.
fn session(config: SessionConfig) -> SessionState {
    let local = local_functions();
    SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(runtime_env())
        .with_scalar_functions(local.scalar_functions().values().cloned().collect())
        .with_aggregate_functions(local.aggregate_functions().values().cloned().collect())
        .with_window_functions(local.window_functions().values().cloned().collect())
        .build()
}

/// The session the pack's providers plan in for a host with this config.
pub(super) fn session_for(host: &FFI_SessionConfig) -> Result<Arc<SessionState>> {
    Ok(Arc::clone(&known(host)?.session))
}

/// The task context a partition of a pack plan runs in: the host's ids and
/// config, the pack's functions.
pub(super) fn task_context(host: &FFI_TaskContext) -> Result<Arc<TaskContext>> {
    // SAFETY: the host's own functions, given the context they came with.
    let (session_id, task_id, config) =
        unsafe { ((host.session_id)(host), (host.task_id)(host), (host.session_config)(host)) };
    let task_id: Option<String> = Option::from(task_id).map(|id: SString| id.to_string());
    let known = known(&config)?;
    let mut last = known.task.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(context) = last.as_ref()
        && context.session_id() == session_id.as_str()
        && context.task_id() == task_id
    {
        return Ok(Arc::clone(context));
    }
    let local = local_functions();
    let context = Arc::new(TaskContext::new(
        task_id,
        session_id.to_string(),
        known.session.config().clone(),
        local.scalar_functions().clone(),
        local.higher_order_functions().clone(),
        local.aggregate_functions().clone(),
        local.window_functions().clone(),
        runtime_env(),
    ));
    *last = Some(Arc::clone(&context));
    Ok(context)
}

/// The host's filters (a serialized `LogicalExprList`), each decoded on its own:
/// one that names a function the pack does not have (a host's Python UDF, say)
/// is an `Err`, and the rest still decode.
pub(super) fn decode_filters(serialized: &[u8], codec: &dyn LogicalExtensionCodec) -> Result<Vec<Result<Expr>>> {
    if serialized.is_empty() {
        return Ok(Vec::new());
    }
    let list = LogicalExprList::decode(serialized).map_err(|e| DataFusionError::Plan(e.to_string()))?;
    let local = local_functions();
    Ok(list
        .expr
        .iter()
        .map(|node| parse_expr(node, local, codec).map_err(|e| DataFusionError::Plan(e.to_string())))
        .collect())
}
