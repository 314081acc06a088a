//! The sink of a write into a Delta dataset: rows stream into deltalake's
//! writer, which writes parquet files and then commits them in one log entry
//! (a write that dies before its commit leaves the table as it was).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::datasource::sink::DataSink;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, SessionState, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType};
use deltalake_core::kernel::EagerSnapshot;
use deltalake_core::logstore::LogStoreRef;
use deltalake_core::operations::write::WriteBuilder;
use deltalake_core::protocol::SaveMode;
use dfpack_common::Error;
use dfpack_contracts::{CommitOptions, ContractSpec};
use futures::{SinkExt, StreamExt};

use super::WriteSpec;
use super::options::commit_properties;
use crate::resolve::Resolver;
use crate::table::describe_delta_error;

/// Writes the rows of one `INSERT` into a dataset's table (creating it when
/// the dataset allows), with the write's commit options.
#[derive(Debug)]
pub struct DeltaWriteSink {
    spec: Arc<WriteSpec>,
    target: Target,
    mode: SaveMode,
    commit: CommitOptions,
    schema: SchemaRef,
    resolver: Arc<Resolver>,
}

/// Where the rows go: the table's stores and the version the write starts
/// from (`None`: the table does not exist yet and this write creates it).
#[derive(Debug, Clone)]
pub struct Target {
    pub log_store: LogStoreRef,
    pub snapshot: Option<Arc<EagerSnapshot>>,
    /// The session the writer plans with: the host's config, the table's object stores.
    pub state: Arc<SessionState>,
}

impl DeltaWriteSink {
    pub fn new(
        spec: Arc<WriteSpec>,
        target: Target,
        mode: SaveMode,
        commit: CommitOptions,
        schema: SchemaRef,
        resolver: Arc<Resolver>,
    ) -> DeltaWriteSink {
        DeltaWriteSink { spec, target, mode, commit, schema, resolver }
    }

    /// The dataset (or table) name the rows are written to.
    pub fn dataset(&self) -> &str {
        &self.spec.name
    }

    /// The contract the dataset is bound to, if any.
    pub fn contract(&self) -> Option<&ContractSpec> {
        self.spec.contract.as_ref()
    }

    /// The commit options this write commits with (dataset's and session's merged).
    pub fn commit_options(&self) -> &CommitOptions {
        &self.commit
    }
}

impl DisplayAs for DeltaWriteSink {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "DeltaWriteSink: dataset={}, mode={:?}", self.spec.name, self.mode)
    }
}

#[async_trait]
impl DataSink for DeltaWriteSink {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    async fn write_all(&self, mut data: SendableRecordBatchStream, _context: &Arc<TaskContext>) -> Result<u64> {
        // The rows are polled here, on the caller's task: across FFI they come
        // from the host's plan, which may need the host's runtime. deltalake's
        // IO runs on the pack's runtime; a small channel joins the two.
        let (sender, receiver) = futures::channel::mpsc::channel::<Result<RecordBatch>>(2);
        // Rows take the table's schema: an input column that cannot be null
        // goes into a nullable one (deltalake wants the table's nullability).
        let schema = Arc::clone(DataSink::schema(self));
        let rows = Box::pin(RecordBatchStreamAdapter::new(Arc::clone(&schema), receiver)) as SendableRecordBatchStream;
        let job = Write {
            spec: Arc::clone(&self.spec),
            target: self.target.clone(),
            mode: self.mode,
            commit: self.commit.clone(),
        };
        let written = self.resolver.on_runtime(async move { job.run(rows).await });
        let pump = async move {
            let mut sender = sender;
            let mut count = 0u64;
            while let Some(batch) = data.next().await {
                let batch = batch.and_then(|batch| Ok(batch.with_schema(Arc::clone(&schema))?));
                let failed = batch.is_err();
                if let Ok(batch) = &batch {
                    count += batch.num_rows() as u64;
                }
                // The writer stopped reading (replay, or an error it reports).
                if sender.send(batch).await.is_err() || failed {
                    break;
                }
            }
            count
        };
        let (written, count) = futures::join!(written, pump);
        // Whatever happened, the next read lists the log again.
        self.resolver.forget_latest(&self.spec.table);
        match written.map_err(DataFusionError::from)? {
            Outcome::Committed => Ok(count),
            Outcome::Replay => Ok(0),
        }
    }
}

enum Outcome {
    Committed,
    /// The write's application transaction was already committed: nothing written.
    Replay,
}

struct Write {
    spec: Arc<WriteSpec>,
    target: Target,
    mode: SaveMode,
    commit: CommitOptions,
}

impl Write {
    async fn run(self, rows: SendableRecordBatchStream) -> dfpack_common::Result<Outcome> {
        let name = &self.spec.name;
        let delta_error = |what: &str, e: deltalake_core::DeltaTableError| {
            Error::Delta(format!("{what} table '{name}' ({}): {}", self.spec.table.uri, describe_delta_error(&e)))
        };
        if let (Some(txn), Some(snapshot)) = (&self.commit.app_transaction, &self.target.snapshot) {
            let committed = snapshot
                .transaction_version(self.target.log_store.as_ref(), &txn.app_id)
                .await
                .map_err(|e| delta_error("cannot read the application transactions of", e))?;
            if let Some(committed) = committed
                && committed >= txn.version
            {
                // Idempotent writes: a retried write of a version that landed is a no-op, said out loud.
                eprintln!(
                    "dfpack: nothing written to '{name}': application '{}' already committed version {committed} \
                     (this write carries version {}); 0 rows",
                    txn.app_id, txn.version
                );
                return Ok(Outcome::Replay);
            }
        }
        let input = super::input::plan_of(rows)?;
        let mut builder = WriteBuilder::new(self.target.log_store.clone(), self.target.snapshot.as_deref().cloned())
            .with_save_mode(self.mode)
            .with_input_plan(input)
            .with_session_state(self.target.state.clone())
            .with_commit_properties(commit_properties(&self.commit));
        if self.target.snapshot.is_none() {
            builder = builder.with_partition_columns(self.spec.partition_columns.clone()).with_table_name(name.clone());
        }
        builder.await.map_err(|e| match conflict(&e) {
            Some(why) => Error::Delta(format!("commit conflict on table '{name}' ({}): {why}", self.spec.table.uri)),
            None => delta_error("cannot write to", e),
        })?;
        Ok(Outcome::Committed)
    }
}

/// What a commit that lost to concurrent writers says, in user terms.
fn conflict(error: &deltalake_core::DeltaTableError) -> Option<String> {
    use deltalake_core::kernel::transaction::TransactionError;
    let deltalake_core::DeltaTableError::Transaction { source } = error else { return None };
    match source {
        TransactionError::MaxCommitAttempts(attempts) => Some(format!(
            "other writers committed first and the write's {attempts} commit attempt(s) are used up; nothing was \
             committed (raise max_retries: the dataset's commit.max_retries or SET dfpack.commit.max_retries)"
        )),
        TransactionError::CommitConflict(why) => {
            Some(format!("a concurrent commit conflicts with this write, nothing was committed: {why}"))
        }
        _ => None,
    }
}
