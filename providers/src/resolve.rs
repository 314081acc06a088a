//! Resolving a table reference to a gated, loaded snapshot, through the snapshot cache.
//!
//! Order matters: the log is listed, the version chosen, and the protocol at
//! that version read and gated **before** deltalake loads anything, so a table
//! the pack cannot read is refused by the gate's message, not by a deep error.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use deltalake_core::kernel::StructType;
use deltalake_core::DeltaTable;
use deltalake_core::kernel::EagerSnapshot;
use deltalake_core::logstore::LogStoreRef;
use dfpack_common::{Error, Result};
use parking_lot::Mutex;
use tokio::runtime::Handle;
use url::Url;

use crate::config::CachePolicy;
use crate::gate::{GateReport, Protocol, ProtocolGate, refusal_message};
use crate::log::LogListing;
use crate::plain_scan::PlainCache;
use crate::table::{TableReferenceExt, VersionSpec, describe_delta_error, open_log_store};
use dfpack_contracts::TableReference;

/// A table version that passed its gate, loaded with its file list.
#[derive(Debug)]
pub struct GatedTable {
    /// The name the user knows the table by (dataset name, or its URI).
    pub name: String,
    pub uri: String,
    pub version: u64,
    pub commit_time: Option<DateTime<Utc>>,
    pub protocol: Protocol,
    pub log_store: LogStoreRef,
    pub snapshot: Arc<EagerSnapshot>,
    /// Object stores for scans of this table, whatever session the host passes.
    pub runtime_env: Arc<RuntimeEnv>,
    /// The files as a plain parquet scan needs them, typed once per version.
    pub plain: Arc<PlainCache>,
}

/// A table version the gate refused, with its schema (read from the log), so
/// a catalog can still list and describe it while every read fails.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub message: String,
    pub schema: SchemaRef,
}

impl Refusal {
    pub fn error(&self) -> Error {
        Error::ProtocolGate(self.message.clone())
    }
}

/// What resolving a table under a gate gives.
#[derive(Debug, Clone)]
pub enum Resolution {
    Admitted(Arc<GatedTable>),
    Refused(Refusal),
}

/// The protocol of one table version, read from its log and gated; no files loaded.
#[derive(Debug, Clone)]
pub struct ProtocolCheck {
    pub uri: String,
    pub version: u64,
    pub commit_time: Option<DateTime<Utc>>,
    pub protocol: Protocol,
    pub report: GateReport,
}

/// Resolves tables on the pack's own runtime and caches their snapshots.
#[derive(Debug)]
pub struct Resolver {
    runtime: Handle,
    policy: CachePolicy,
    tables: Mutex<HashMap<CacheKey, Arc<TableCache>>>,
    /// The same caches by the reference as written (an absolute path or a
    /// URL, with its options), found without building a log store: for a
    /// cloud table that builds an HTTP client, on every query otherwise.
    by_reference: Mutex<HashMap<ReferenceKey, Arc<TableCache>>>,
    log_stores_opened: AtomicUsize,
}

/// A table by its normalized location: every spelling of it shares one cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    url: Url,
    storage_options: BTreeMap<String, String>,
}

/// A table by the location its reference spells.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ReferenceKey {
    uri: String,
    storage_options: BTreeMap<String, String>,
}

impl ReferenceKey {
    /// `None` for a relative path: it names another table once the working
    /// directory changes, so it is normalized every time.
    fn of(table: &TableReference) -> Option<ReferenceKey> {
        let absolute = table.uri.contains("://") || std::path::Path::new(&table.uri).is_absolute();
        absolute.then(|| ReferenceKey { uri: table.uri.clone(), storage_options: storage_options_key(table) })
    }
}

/// A table's storage options as a cache key: absent and empty are one key.
fn storage_options_key(table: &TableReference) -> BTreeMap<String, String> {
    table.storage_options.clone().unwrap_or_default()
}

/// What is cached of one table: its log store, the versions loaded, and a
/// table that follows the latest version incrementally.
#[derive(Debug)]
struct TableCache {
    log_store: LogStoreRef,
    runtime_env: Arc<RuntimeEnv>,
    versions: Mutex<BTreeMap<u64, Arc<Loaded>>>,
    /// The latest version seen, and when it was checked.
    latest: Mutex<Option<(u64, Instant)>>,
    follower: tokio::sync::Mutex<Option<DeltaTable>>,
}

#[derive(Debug)]
struct Loaded {
    protocol: Protocol,
    commit_time: Option<DateTime<Utc>>,
    snapshot: Arc<EagerSnapshot>,
    plain: Arc<PlainCache>,
}

/// Versions kept per table besides the latest; older ones are dropped first.
const PINNED_VERSIONS_KEPT: usize = 8;

impl Resolver {
    pub fn new(runtime: Handle, policy: CachePolicy) -> Arc<Resolver> {
        Arc::new(Resolver {
            runtime,
            policy,
            tables: Mutex::new(HashMap::new()),
            by_reference: Mutex::new(HashMap::new()),
            log_stores_opened: AtomicUsize::new(0),
        })
    }

    /// How many log stores this resolver has built: one per table location
    /// while the cache is on, whatever the number of queries.
    pub fn log_stores_opened(&self) -> usize {
        self.log_stores_opened.load(Ordering::Relaxed)
    }

    /// Runs `future` on the pack's runtime: deltalake's IO needs a reactor,
    /// and the host's runtime (if any) is not the pack's to assume.
    pub async fn on_runtime<T: Send + 'static>(
        &self,
        future: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        match self.runtime.spawn(future).await {
            Ok(result) => result,
            Err(join) if join.is_panic() => Err(Error::Panic {
                context: "delta table resolution".to_string(),
                message: dfpack_common::panic_message(join.into_panic().as_ref()),
            }),
            Err(join) => Err(Error::Internal(format!("delta table resolution was cancelled: {join}"))),
        }
    }

    /// Resolves `table` under `gate`: the version it names, gated, loaded. A
    /// refusal is an error of kind `protocol_gate`.
    pub async fn resolve(
        self: &Arc<Self>,
        name: &str,
        table: &TableReference,
        gate: &ProtocolGate,
    ) -> Result<Arc<GatedTable>> {
        match self.resolution(name, table, gate).await? {
            Resolution::Admitted(table) => Ok(table),
            Resolution::Refused(refusal) => Err(refusal.error()),
        }
    }

    /// Like [`resolve`](Self::resolve), with a refusal as a value that keeps the table's schema.
    pub async fn resolution(
        self: &Arc<Self>,
        name: &str,
        table: &TableReference,
        gate: &ProtocolGate,
    ) -> Result<Resolution> {
        let this = Arc::clone(self);
        let (name, table, gate) = (name.to_string(), table.clone(), gate.clone());
        self.on_runtime(async move { this.resolve_here(&name, &table, &gate).await }).await
    }

    /// Reads and gates the protocol of the version `table` names, loading nothing else.
    pub async fn check_protocol(
        self: &Arc<Self>,
        table: &TableReference,
        gate: &ProtocolGate,
    ) -> Result<ProtocolCheck> {
        let this = Arc::clone(self);
        let (table, gate) = (table.clone(), gate.clone());
        self.on_runtime(async move {
            let cache = this.table_cache(&table)?;
            let listing = LogListing::read(&cache.log_store.object_store(None), &table.uri).await?;
            let version = choose_version(&listing, table.version_spec()?, &table.uri)?;
            let protocol = listing.protocol_at(&cache.log_store.object_store(None), version, &table.uri).await?;
            let report = gate.check_read(&protocol);
            Ok(ProtocolCheck { uri: table.uri.clone(), version, commit_time: listing.commit_time(version), protocol, report })
        })
        .await
    }

    /// The log store of a table (cached), for reads of the log itself.
    pub fn log_store(&self, table: &TableReference) -> Result<LogStoreRef> {
        Ok(self.table_cache(table)?.log_store.clone())
    }

    /// A table's log store and object stores, for a write that creates it.
    pub fn stores(&self, table: &TableReference) -> Result<(LogStoreRef, Arc<RuntimeEnv>)> {
        let cache = self.table_cache(table)?;
        Ok((cache.log_store.clone(), Arc::clone(&cache.runtime_env)))
    }

    /// Forgets which version is a table's latest (after a write), so the next
    /// read lists its log again whatever the cache policy.
    pub fn forget_latest(&self, table: &TableReference) {
        if let Ok(cache) = self.table_cache(table) {
            *cache.latest.lock() = None;
        }
    }

    async fn resolve_here(&self, name: &str, table: &TableReference, gate: &ProtocolGate) -> Result<Resolution> {
        let at = table.version_spec()?;
        let cache = self.table_cache(table)?;
        let store = cache.log_store.object_store(None);

        // A cached version is served without reading the log when the policy allows.
        let cached_version = match at {
            VersionSpec::Version(v) => Some(v),
            VersionSpec::Latest => match (self.policy, *cache.latest.lock()) {
                (CachePolicy::MaxStaleness(max), Some((v, checked))) if checked.elapsed() <= max => Some(v),
                _ => None,
            },
            VersionSpec::Timestamp(_) => None,
        };
        if self.policy != CachePolicy::Disabled
            && let Some(version) = cached_version
            && let Some(loaded) = cache.versions.lock().get(&version).cloned()
        {
            return gated(name, table, gate, &cache, version, &loaded);
        }

        // The latest version checked every query: a cached latest still in
        // place is served after two HEAD requests, without listing the log.
        let cached_latest = match (self.policy, at) {
            (CachePolicy::CheckEveryQuery, VersionSpec::Latest) => cache.cached_latest(),
            _ => None,
        };
        if let Some((version, loaded)) = cached_latest
            && let Some(commit_time) = loaded.commit_time
            && LogListing::is_still_latest(&store, version, commit_time).await
        {
            *cache.latest.lock() = Some((version, Instant::now()));
            return gated(name, table, gate, &cache, version, &loaded);
        }

        let listing = LogListing::read(&store, &table.uri).await?;
        let version = choose_version(&listing, at, &table.uri)?;
        if at == VersionSpec::Latest {
            *cache.latest.lock() = Some((version, Instant::now()));
        }
        let cached = cache.versions.lock().get(&version).cloned();
        if let Some(loaded) = cached {
            if self.policy != CachePolicy::Disabled && loaded.commit_time == listing.commit_time(version) {
                return gated(name, table, gate, &cache, version, &loaded);
            }
            // The same version number with another commit: the table was
            // deleted and created again at this location. Nothing cached holds.
            cache.forget_versions().await;
        }

        let protocol = listing.protocol_at(&store, version, &table.uri).await?;
        let report = gate.check_read(&protocol);
        if !report.passed() {
            let schema_string = listing.schema_at(&store, version, &table.uri).await?;
            return Ok(Resolution::Refused(Refusal {
                message: refusal_message(name, &table.uri, version, &protocol, &report),
                schema: arrow_schema(schema_string.as_deref()),
            }));
        }

        let snapshot = self.load(&cache, table, at, version).await?;
        let loaded = Arc::new(Loaded { protocol, commit_time: listing.commit_time(version), snapshot, plain: Arc::default() });
        if self.policy != CachePolicy::Disabled {
            let mut versions = cache.versions.lock();
            versions.insert(version, Arc::clone(&loaded));
            let latest = cache.latest.lock().map(|(v, _)| v);
            while versions.len() > PINNED_VERSIONS_KEPT + 1 {
                let Some(oldest) = versions.keys().copied().find(|v| Some(*v) != latest) else { break };
                versions.remove(&oldest);
            }
        }
        gated(name, table, gate, &cache, version, &loaded)
    }

    /// Loads a version: the latest incrementally from the previous latest, others afresh.
    async fn load(
        &self,
        cache: &TableCache,
        table: &TableReference,
        at: VersionSpec,
        version: u64,
    ) -> Result<Arc<EagerSnapshot>> {
        let failed = |e: deltalake_core::DeltaTableError| {
            Error::Delta(format!("cannot load version {version} of table '{}': {}", table.uri, describe_delta_error(&e)))
        };
        if at == VersionSpec::Latest && self.policy != CachePolicy::Disabled {
            let mut follower = cache.follower.lock().await;
            let follower = follower.get_or_insert_with(|| DeltaTable::new(cache.log_store.clone()));
            follower.load_version(version).await.map_err(failed)?;
            let state = follower.snapshot().map_err(failed)?;
            return Ok(Arc::new(state.snapshot().clone()));
        }
        let snapshot = EagerSnapshot::try_new(cache.log_store.as_ref(), Some(version)).await.map_err(failed)?;
        Ok(Arc::new(snapshot))
    }

    fn table_cache(&self, table: &TableReference) -> Result<Arc<TableCache>> {
        let caching = self.policy != CachePolicy::Disabled;
        let reference = ReferenceKey::of(table).filter(|_| caching);
        if let Some(cache) = reference.as_ref().and_then(|key| self.by_reference.lock().get(key).cloned()) {
            return Ok(cache);
        }
        let log_store = open_log_store(table)?;
        self.log_stores_opened.fetch_add(1, Ordering::Relaxed);
        let key = CacheKey { url: log_store.root_url().clone(), storage_options: storage_options_key(table) };
        let cache = {
            let mut tables = self.tables.lock();
            match tables.get(&key) {
                Some(cache) => Arc::clone(cache),
                None => {
                    let cache = Arc::new(TableCache::new(log_store)?);
                    if caching {
                        tables.insert(key, Arc::clone(&cache));
                    }
                    cache
                }
            }
        };
        if let Some(reference) = reference {
            self.by_reference.lock().insert(reference, Arc::clone(&cache));
        }
        Ok(cache)
    }
}

impl TableCache {
    /// A table's cache, empty, with object stores for its scans.
    fn new(log_store: LogStoreRef) -> Result<TableCache> {
        let runtime_env = RuntimeEnvBuilder::new().build_arc().map_err(|e| Error::Internal(e.to_string()))?;
        let root = log_store.root_url();
        let store_url = format!("{}://{}", root.scheme(), &root[url::Position::BeforeHost..url::Position::AfterPort]);
        let store_url = Url::parse(&store_url).map_err(|e| Error::Internal(format!("object store URL {store_url}: {e}")))?;
        runtime_env.register_object_store(&store_url, log_store.root_object_store(None));
        Ok(TableCache {
            log_store,
            runtime_env,
            versions: Mutex::new(BTreeMap::new()),
            latest: Mutex::new(None),
            follower: tokio::sync::Mutex::new(None),
        })
    }

    /// The latest version last seen, when it is still loaded.
    fn cached_latest(&self) -> Option<(u64, Arc<Loaded>)> {
        let (version, _) = (*self.latest.lock())?;
        let loaded = self.versions.lock().get(&version).cloned()?;
        Some((version, loaded))
    }

    /// Drops every loaded version and the follower (the latest version just
    /// listed stays recorded: it is the new table's).
    async fn forget_versions(&self) {
        self.versions.lock().clear();
        *self.follower.lock().await = None;
    }
}

fn choose_version(listing: &LogListing, at: VersionSpec, uri: &str) -> Result<u64> {
    let version = match at {
        VersionSpec::Latest => Ok(listing.latest_version()),
        VersionSpec::Timestamp(ts) => listing.version_at(ts, uri),
        VersionSpec::Version(v) if v <= listing.latest_version() => Ok(v),
        VersionSpec::Version(v) => Err(Error::Delta(format!(
            "table '{uri}' has no version {v}: its latest version is {}",
            listing.latest_version()
        ))),
    }?;
    let earliest = listing.earliest_readable_version();
    if version < earliest {
        return Err(Error::Delta(format!(
            "version {version} of table '{uri}' is no longer in its log (removed by log cleanup); \
             the earliest version that can be read is {earliest}"
        )));
    }
    Ok(version)
}

/// The table's own schema at its version, as Arrow types (as Delta maps
/// them: the scan's view of it may differ, e.g. wrapped partition values).
pub fn table_arrow_schema(table: &GatedTable) -> Result<SchemaRef> {
    use deltalake_core::kernel::engine::arrow_conversion::TryIntoArrow;
    let schema: Schema = TryIntoArrow::<Schema>::try_into_arrow(table.snapshot.schema().as_ref()).map_err(|e| {
        Error::Delta(format!("the schema of table '{}' at version {} has no Arrow form: {e}", table.name, table.version))
    })?;
    Ok(Arc::new(schema))
}

/// The Arrow schema of a Delta schema string; empty when there is none or it
/// cannot be converted (a refused table may use types the pack cannot read).
fn arrow_schema(schema_string: Option<&str>) -> SchemaRef {
    use deltalake_core::kernel::engine::arrow_conversion::TryIntoArrow;
    schema_string
        .and_then(|text| serde_json::from_str::<StructType>(text).ok())
        .and_then(|schema| TryIntoArrow::<Schema>::try_into_arrow(&schema).ok())
        .map(Arc::new)
        .unwrap_or_else(|| Arc::new(Schema::empty()))
}

fn gated(
    name: &str,
    table: &TableReference,
    gate: &ProtocolGate,
    cache: &TableCache,
    version: u64,
    loaded: &Loaded,
) -> Result<Resolution> {
    // Gates differ per dataset; the cached protocol is re-checked each time.
    let report = gate.check_read(&loaded.protocol);
    if !report.passed() {
        return Ok(Resolution::Refused(Refusal {
            message: refusal_message(name, &table.uri, version, &loaded.protocol, &report),
            schema: arrow_schema(serde_json::to_string(loaded.snapshot.schema().as_ref()).ok().as_deref()),
        }));
    }
    Ok(Resolution::Admitted(Arc::new(GatedTable {
        name: name.to_string(),
        uri: table.uri.clone(),
        version,
        commit_time: loaded.commit_time,
        protocol: loaded.protocol.clone(),
        log_store: cache.log_store.clone(),
        snapshot: Arc::clone(&loaded.snapshot),
        runtime_env: Arc::clone(&cache.runtime_env),
        plain: Arc::clone(&loaded.plain),
    })))
}
