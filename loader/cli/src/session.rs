//! Everything that goes into the CLI's session: which packs, the config and
//! runtime the flags ask for, and datafusion-cli's own additions.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::catalog::{DynamicFileCatalog, TableFunctionImpl};
use datafusion::config::{ConfigNonZeroUsize, ConfigOptions};
use datafusion::datasource::dynamic_file::DynamicListTableFactory;
use datafusion::error::Result as DFResult;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{FairSpillPool, GreedyMemoryPool, MemoryPool, TrackConsumersPool};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::logical_expr::ExplainFormat;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_cli::catalog::DynamicObjectStoreCatalog;
use datafusion_cli::functions::{ListFilesCacheFunc, MetadataCacheFunc, ParquetMetadataFunc, StatisticsCacheFunc};
use datafusion_cli::object_storage::StdinCarriesCommands;
use datafusion_cli::object_storage::instrumented::InstrumentedObjectStoreRegistry;
use datafusion_cli::pool_type::PoolType;
use dfpack_loader::{Pack, SessionFactory, default_pack_path};

use crate::args::Args;

/// The packs to start with: each `--plugin` in order, or else the default
/// pack (unless turned off). Any pack that is named but cannot be loaded is an
/// error, returned as the loader's message for the user.
pub fn startup_packs(args: &Args) -> Result<Vec<Arc<Pack>>, String> {
    let mut packs: Vec<Arc<Pack>> = Vec::new();
    if args.plugins.is_empty() && !args.no_default_plugin {
        match default_pack_path() {
            // A default that exists but is refused (a stale build, a pack for
            // another DataFusion) is not skipped quietly: the user would get a
            // CLI without the functions they expect and no idea why.
            Some(path) => packs.push(Pack::load(&path).map_err(|error| {
                let origin = if std::env::var_os("DFPACK_PLUGIN").is_some() {
                    "$DFPACK_PLUGIN names this pack"
                } else {
                    "this is the default pack, found beside the executable"
                };
                format!("{error}\n({origin}; use --no-default-plugin to start without it)")
            })?),
            None if args.quiet => {}
            None => eprintln!(
                "dfpack-cli: no default pack found ($DFPACK_PLUGIN is unset and there is no {} beside \
                 the executable); starting without one",
                default_pack_file_name()
            ),
        }
    }
    for path in &args.plugins {
        let pack = Pack::load(path).map_err(|error| error.to_string())?;
        // Naming one pack twice is harmless; listing it twice in the banner is noise.
        if !packs.iter().any(|loaded| Arc::ptr_eq(loaded, &pack)) {
            packs.push(pack);
        }
    }
    Ok(packs)
}

fn default_pack_file_name() -> String {
    format!("{}dfpack{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
}

/// Session settings from the environment (`DATAFUSION_*`) and the flags, with
/// datafusion-cli's choices for an interactive tool.
pub fn session_config(args: &Args) -> DFResult<SessionConfig> {
    let mut options = ConfigOptions::from_env()?;
    if let Some(batch_size) = args.batch_size {
        options.execution.batch_size = ConfigNonZeroUsize::try_new(batch_size)?;
    }
    // People read these plans: the tree form is easier, unless the environment chose.
    if std::env::var_os("DATAFUSION_EXPLAIN_FORMAT").is_none() {
        options.explain.format = ExplainFormat::Tree;
    }
    // An empty cell is ambiguous on a terminal; show NULL unless the environment chose.
    if std::env::var_os("DATAFUSION_FORMAT_NULL").is_none() {
        options.format.null = "NULL".to_string();
    }
    let mut config = SessionConfig::from(options).with_information_schema(true);
    if args.reads_sql_from_stdin() {
        config = config.with_extension(Arc::new(StdinCarriesCommands));
    }
    Ok(config)
}

/// Memory pool, spill limit and the instrumented object-store registry the
/// flags ask for. The registry is returned too: printing needs it for profiling.
pub fn runtime_env(args: &Args) -> DFResult<(Arc<RuntimeEnv>, Arc<InstrumentedObjectStoreRegistry>)> {
    let mut builder = RuntimeEnvBuilder::new();
    if let Some(limit) = args.memory_limit {
        builder = builder.with_memory_pool(memory_pool(limit, &args.mem_pool_type, args.top_memory_consumers));
    }
    if let Some(limit) = args.disk_limit {
        let disk = DiskManagerBuilder::default()
            .with_mode(DiskManagerMode::OsTmpDirectory)
            .with_max_temp_directory_size(limit as u64);
        builder = builder.with_disk_manager_builder(disk);
    }
    let registry = Arc::new(InstrumentedObjectStoreRegistry::new().with_profile_mode(args.object_store_profiling));
    builder = builder.with_object_store_registry(Arc::clone(&registry) as _);
    Ok((builder.build_arc()?, registry))
}

fn memory_pool(limit: usize, pool_type: &PoolType, top_consumers: usize) -> Arc<dyn MemoryPool> {
    // Tracking is what names the biggest consumers in an out-of-memory error.
    match (pool_type, NonZeroUsize::new(top_consumers)) {
        (PoolType::Greedy, None) => Arc::new(GreedyMemoryPool::new(limit)),
        (PoolType::Greedy, Some(top)) => Arc::new(TrackConsumersPool::new(GreedyMemoryPool::new(limit), top)),
        (PoolType::Fair, None) => Arc::new(FairSpillPool::new(limit)),
        (PoolType::Fair, Some(top)) => Arc::new(TrackConsumersPool::new(FairSpillPool::new(limit), top)),
    }
}

/// Builds the session: `SessionFactory` makes it (config, runtime, packs,
/// `load_plugin`), then datafusion-cli's additions are put into that same
/// session.
pub async fn build_session(
    config: SessionConfig,
    runtime: Arc<RuntimeEnv>,
    packs: &[Arc<Pack>],
    pack_config: Option<&Path>,
) -> Result<SessionContext, String> {
    let mut factory = packs
        .iter()
        .fold(SessionFactory::new().with_config(config).with_runtime_env(runtime), |factory, pack| {
            factory.with_pack(Arc::clone(pack))
        })
        .with_sql_plugin_loading(true);
    if let Some(path) = pack_config {
        factory = factory.with_pack_config_file(path).map_err(|error| error.to_string())?;
    }
    let ctx = factory.build().map_err(|error| error.to_string())?;
    add_cli_features(&ctx);
    ctx.refresh_catalogs().await.map_err(|error| error.to_string())?;
    Ok(ctx)
}

/// datafusion-cli's session features: query files by path, object stores
/// registered on first use, and its inspection table functions.
///
/// Everything is changed in place. `SessionContext::enable_url_table` would
/// build a new session, and the one `SessionFactory` built (which
/// `load_plugin()` and the packs' table functions point at) would be dropped.
fn add_cli_features(ctx: &SessionContext) {
    let url_tables = Arc::new(DynamicListTableFactory::default());
    url_tables.session_store().with_state(ctx.state_weak_ref());
    let catalogs = Arc::new(DynamicFileCatalog::new(Arc::clone(ctx.state().catalog_list()), url_tables));
    ctx.register_catalog_list(Arc::new(DynamicObjectStoreCatalog::new(catalogs, ctx.state_weak_ref())));

    let cache_manager = Arc::clone(&ctx.runtime_env().cache_manager);
    let functions: [(&str, Arc<dyn TableFunctionImpl>); 4] = [
        ("parquet_metadata", Arc::new(ParquetMetadataFunc {})),
        ("metadata_cache", Arc::new(MetadataCacheFunc::new(Arc::clone(&cache_manager)))),
        ("statistics_cache", Arc::new(StatisticsCacheFunc::new(Arc::clone(&cache_manager)))),
        ("list_files_cache", Arc::new(ListFilesCacheFunc::new(cache_manager))),
    ];
    for (name, function) in functions {
        // A pack that exports one of these names was installed first; keep
        // its function rather than silently replacing it.
        if !ctx.state().table_functions().contains_key(name) {
            ctx.register_udtf(name, function);
        }
    }
}

/// The rc files to run before the prompt: those named with `-r`, else
/// `~/.datafusionrc` when it exists (the file datafusion-cli users already have).
pub fn rc_files(args: &Args) -> Vec<PathBuf> {
    if let Some(files) = &args.rc {
        return files.clone();
    }
    std::env::home_dir()
        .map(|home| home.join(".datafusionrc"))
        .filter(|rc| rc.is_file())
        .into_iter()
        .collect()
}

/// What the banner says about the packs.
pub fn describe_packs(packs: &[Arc<Pack>]) -> String {
    if packs.is_empty() {
        return "no packs loaded".to_string();
    }
    let names: Vec<String> = packs
        .iter()
        .map(|pack| format!("{} {} ({})", pack.name(), pack.version(), pack.path().display()))
        .collect();
    format!("packs: {}", names.join(", "))
}
