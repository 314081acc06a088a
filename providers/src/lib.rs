//! dfpack's Delta Lake side: the pack config, the protocol gate, gated table
//! providers with a snapshot cache, the catalog of configured datasets, the
//! `STORED AS DELTATABLE` factory, and the Delta table functions.
//!
//! Everything here is plain DataFusion and deltalake-core code; `plugin/`
//! exports it across FFI.

pub mod catalog;
pub mod config;
pub mod contracts;
pub mod exec;
pub mod factory;
pub mod functions;
pub mod gate;
pub mod live;
pub mod log;
pub mod pack;
pub mod plain_scan;
pub mod provider;
pub mod read_delta;
pub mod refused;
pub mod resolve;
pub mod scans;
pub mod table;
pub mod write;

pub use catalog::DeltaCatalog;
pub use factory::DeltaTableFactory;
pub use read_delta::ReadDelta;
pub use config::{CachePolicy, DatasetConfig, PackConfig, ScanOptions};
pub use gate::{GateReport, Protocol, ProtocolGate};
pub use functions::DeltaTableFunction;
pub use pack::{ConfiguredCatalog, DeltaPack};
pub use provider::DeltaTableProvider;
pub use resolve::{GatedTable, Resolver};
pub use dfpack_contracts::TableReference;
pub use table::{TableReferenceExt, VersionSpec};

use std::sync::Arc;

use tokio::runtime::Handle;

/// What every Delta part of the pack shares: the resolver (with its snapshot
/// cache) and the record of scans. One per pack config.
#[derive(Debug, Clone)]
pub struct DeltaEnv {
    pub resolver: Arc<Resolver>,
    pub scans: Arc<scans::ScanLog>,
}

impl DeltaEnv {
    /// `runtime` runs all Delta IO (the pack's own runtime, not the host's).
    pub fn new(runtime: Handle, policy: CachePolicy) -> Arc<DeltaEnv> {
        DeltaEnv::sharing_scans(runtime, policy, Arc::new(scans::ScanLog::default()))
    }

    /// Like `new`, recording scans in a log shared with other environments.
    pub fn sharing_scans(runtime: Handle, policy: CachePolicy, scans: Arc<scans::ScanLog>) -> Arc<DeltaEnv> {
        Arc::new(DeltaEnv { resolver: Resolver::new(runtime, policy), scans })
    }

    /// A provider for `table` under `gate`, resolved now.
    pub async fn provider(
        &self,
        name: &str,
        table: &TableReference,
        gate: &ProtocolGate,
        options: &ScanOptions,
    ) -> dfpack_common::Result<Arc<DeltaTableProvider>> {
        let gated = self.resolver.resolve(name, table, gate).await?;
        Ok(Arc::new(DeltaTableProvider::new(gated, options, Arc::clone(&self.resolver), Arc::clone(&self.scans))?))
    }
}
