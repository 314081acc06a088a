//! Reading a Delta log directly, for what must be known before the table is
//! loaded: the latest version, the version at a timestamp, and the protocol in
//! force at a version. Only commits after the newest checkpoint (and that
//! checkpoint, if the protocol is not in them) are read; the file list is never
//! replayed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use deltalake_core::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use dfpack_common::{Error, Result};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use serde::Deserialize;

use crate::gate::Protocol;

/// One file of `_delta_log/` that matters here.
#[derive(Debug, Clone)]
pub struct LogFile {
    pub version: u64,
    pub kind: LogFileKind,
    pub location: Path,
    pub last_modified: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFileKind {
    Commit,
    /// A classic or multi-part checkpoint, or a v2 checkpoint in parquet.
    ParquetCheckpoint,
    /// A v2 checkpoint in JSON.
    JsonCheckpoint,
}

/// The location of the commit file of `version`.
fn commit_path(version: u64) -> Path {
    Path::from(format!("_delta_log/{version:020}.json"))
}

/// The commits and checkpoints of a table, sorted by version.
#[derive(Debug, Clone)]
pub struct LogListing {
    pub files: Vec<LogFile>,
}

impl LogListing {
    /// Lists `_delta_log/` under the table root of `store`.
    pub async fn read(store: &Arc<dyn ObjectStore>, uri: &str) -> Result<LogListing> {
        let prefix = Path::from("_delta_log");
        let metas: Vec<object_store::ObjectMeta> = store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| Error::Delta(format!("cannot list the Delta log of '{uri}': {e}")))?;
        let mut files: Vec<LogFile> = metas
            .into_iter()
            .filter_map(|meta| {
                // Files in subdirectories (sidecars, staged commits) are not log entries.
                let name = meta.location.as_ref().strip_prefix("_delta_log/")?;
                if name.contains('/') {
                    return None;
                }
                let (version, kind) = classify(name)?;
                Some(LogFile { version, kind, location: meta.location, last_modified: meta.last_modified })
            })
            .collect();
        files.sort_by_key(|f| (f.version, f.kind != LogFileKind::Commit));
        if !files.iter().any(|f| f.kind == LogFileKind::Commit) {
            return Err(Error::Delta(format!("'{uri}' is not a Delta table: no commits in its _delta_log")));
        }
        Ok(LogListing { files })
    }

    /// Whether `version`, committed at `commit_time`, is still the table's
    /// latest: its commit file is unchanged and the next one does not exist.
    /// Two HEAD requests, instead of listing a log that grows with every commit.
    /// `false` whenever it cannot tell (the caller then lists the log).
    pub async fn is_still_latest(store: &Arc<dyn ObjectStore>, version: u64, commit_time: DateTime<Utc>) -> bool {
        let (current_path, next_path) = (commit_path(version), commit_path(version + 1));
        let (current, next) = futures::join!(store.head(&current_path), store.head(&next_path));
        // Some stores (S3) list times in milliseconds but HEAD them in seconds.
        let same_time = |time: DateTime<Utc>| {
            time == commit_time || (time.timestamp_subsec_nanos() == 0 && time.timestamp() == commit_time.timestamp())
        };
        let unchanged = current.is_ok_and(|meta| same_time(meta.last_modified));
        unchanged && matches!(next, Err(object_store::Error::NotFound { .. }))
    }

    pub fn latest_version(&self) -> u64 {
        self.files.iter().filter(|f| f.kind == LogFileKind::Commit).map(|f| f.version).max().unwrap_or(0)
    }

    /// The oldest version that can still be read: the oldest checkpoint, or 0
    /// while the first commit is still in the log.
    pub fn earliest_readable_version(&self) -> u64 {
        let oldest_checkpoint = self.files.iter().filter(|f| f.kind != LogFileKind::Commit).map(|f| f.version).min();
        let has_first_commit = self.files.iter().any(|f| f.kind == LogFileKind::Commit && f.version == 0);
        match (has_first_commit, oldest_checkpoint) {
            (true, _) => 0,
            (false, Some(checkpoint)) => checkpoint,
            (false, None) => self.files.iter().map(|f| f.version).min().unwrap_or(0),
        }
    }

    /// The newest version committed at or before `at`, by commit file time (as Delta
    /// defines timestamps for tables without in-commit timestamps).
    pub fn version_at(&self, at: DateTime<Utc>, uri: &str) -> Result<u64> {
        let commits: Vec<&LogFile> = self.files.iter().filter(|f| f.kind == LogFileKind::Commit).collect();
        match commits.iter().rev().find(|f| f.last_modified <= at) {
            Some(file) => Ok(file.version),
            None => {
                let first = commits.first().map(|f| (f.version, f.last_modified));
                Err(Error::Delta(match first {
                    Some((version, time)) => format!(
                        "table '{uri}' has no version at {}: its earliest available commit (version {version}) was made at {}",
                        at.to_rfc3339(),
                        time.to_rfc3339()
                    ),
                    None => format!("table '{uri}' has no commits"),
                }))
            }
        }
    }

    /// The time of the commit of `version`.
    pub fn commit_time(&self, version: u64) -> Option<DateTime<Utc>> {
        self.files.iter().find(|f| f.version == version && f.kind == LogFileKind::Commit).map(|f| f.last_modified)
    }

    /// The protocol in force at `version`: the newest protocol action in the
    /// commits up to `version`, down to the newest checkpoint at or before it.
    pub async fn protocol_at(&self, store: &Arc<dyn ObjectStore>, version: u64, uri: &str) -> Result<Protocol> {
        let found = self.actions_at(store, version, uri, false).await?;
        found.protocol.ok_or_else(|| {
            Error::Delta(format!("table '{uri}' has no protocol action at or before version {version}"))
        })
    }

    /// The table schema (`metaData.schemaString`) in force at `version`, if any.
    pub async fn schema_at(&self, store: &Arc<dyn ObjectStore>, version: u64, uri: &str) -> Result<Option<String>> {
        Ok(self.actions_at(store, version, uri, true).await?.schema_string)
    }

    /// Walks the commits from `version` down to the newest checkpoint at or
    /// before it (then the checkpoint) until the wanted actions are found.
    async fn actions_at(
        &self,
        store: &Arc<dyn ObjectStore>,
        version: u64,
        uri: &str,
        want_schema: bool,
    ) -> Result<Found> {
        let checkpoint = self
            .files
            .iter()
            .filter(|f| f.kind != LogFileKind::Commit && f.version <= version)
            .map(|f| f.version)
            .max();
        let floor = checkpoint.map_or(0, |c| c + 1);
        let mut commits: Vec<&LogFile> = self
            .files
            .iter()
            .filter(|f| f.kind == LogFileKind::Commit && f.version >= floor && f.version <= version)
            .collect();
        commits.sort_by_key(|f| std::cmp::Reverse(f.version));
        let mut found = Found::default();
        let done = |found: &Found| found.protocol.is_some() && (!want_schema || found.schema_string.is_some());
        for commit in commits {
            let bytes = read(store, &commit.location, uri).await?;
            found.fill_from_json_lines(&bytes, &commit.location)?;
            if done(&found) {
                return Ok(found);
            }
        }
        if let Some(checkpoint) = checkpoint {
            for part in self.files.iter().filter(|f| f.version == checkpoint && f.kind != LogFileKind::Commit) {
                let bytes = read(store, &part.location, uri).await?;
                match part.kind {
                    LogFileKind::JsonCheckpoint => found.fill_from_json_lines(&bytes, &part.location)?,
                    _ => found.fill_from_parquet(bytes, &part.location)?,
                }
                if done(&found) {
                    break;
                }
            }
        }
        Ok(found)
    }
}

/// The newest protocol and table schema seen so far in a backwards walk.
#[derive(Debug, Default)]
struct Found {
    protocol: Option<Protocol>,
    schema_string: Option<String>,
}

impl Found {
    /// Takes the actions of one log file; newer files were read first, so a
    /// value already found is kept.
    fn fill_from_json_lines(&mut self, bytes: &[u8], location: &Path) -> Result<()> {
        for line in bytes.split(|b| *b == b'\n') {
            // Cheap filter: most lines are add/remove actions.
            let protocol_line = self.protocol.is_none() && contains(line, b"\"protocol\"");
            let metadata_line = self.schema_string.is_none() && contains(line, b"\"metaData\"");
            if !protocol_line && !metadata_line {
                continue;
            }
            let parsed: ActionLine = serde_json::from_slice(line)
                .map_err(|e| Error::Delta(format!("malformed action in '{location}': {e}")))?;
            if let (None, Some(raw)) = (&self.protocol, parsed.protocol) {
                self.protocol = Some(raw.into());
            }
            if let (None, Some(metadata)) = (&self.schema_string, parsed.meta_data) {
                self.schema_string = Some(metadata.schema_string);
            }
        }
        Ok(())
    }

    fn fill_from_parquet(&mut self, bytes: bytes::Bytes, location: &Path) -> Result<()> {
        if self.protocol.is_none() {
            self.protocol = protocol_in_parquet(bytes.clone(), location)?;
        }
        if self.schema_string.is_none() {
            self.schema_string = schema_in_parquet(bytes, location)?;
        }
        Ok(())
    }
}

/// `00000000000000000003.json` → (3, Commit); checkpoints likewise; anything else → None.
fn classify(name: &str) -> Option<(u64, LogFileKind)> {
    let (digits, rest) = name.split_at_checked(20)?;
    let version: u64 = digits.parse().ok()?;
    let kind = if rest == ".json" {
        LogFileKind::Commit
    } else if rest.starts_with(".checkpoint") && rest.ends_with(".parquet") {
        LogFileKind::ParquetCheckpoint
    } else if rest.starts_with(".checkpoint.") && rest.ends_with(".json") {
        LogFileKind::JsonCheckpoint
    } else {
        return None;
    };
    Some((version, kind))
}

async fn read(store: &Arc<dyn ObjectStore>, location: &Path, uri: &str) -> Result<bytes::Bytes> {
    let result = store.get(location).await;
    match result {
        Ok(get) => get.bytes().await,
        Err(e) => Err(e),
    }
    .map_err(|e| Error::Delta(format!("cannot read '{location}' of table '{uri}': {e}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProtocol {
    min_reader_version: i32,
    min_writer_version: i32,
    reader_features: Option<Vec<String>>,
    writer_features: Option<Vec<String>>,
}

impl From<RawProtocol> for Protocol {
    fn from(raw: RawProtocol) -> Protocol {
        Protocol {
            min_reader_version: raw.min_reader_version,
            min_writer_version: raw.min_writer_version,
            reader_features: raw.reader_features,
            writer_features: raw.writer_features,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetadata {
    schema_string: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionLine {
    protocol: Option<RawProtocol>,
    meta_data: Option<RawMetadata>,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn protocol_in_parquet(bytes: bytes::Bytes, location: &Path) -> Result<Option<Protocol>> {
    use arrow::array::{Array, AsArray, Int32Array, ListArray, StringArray};
    let malformed = |e: &dyn std::fmt::Display| Error::Delta(format!("malformed checkpoint '{location}': {e}"));
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| malformed(&e))?;
    let parquet_schema = builder.parquet_schema();
    let Some(root) = builder.schema().fields().iter().position(|f| f.name() == "protocol") else {
        return Ok(None);
    };
    let mask = deltalake_core::parquet::arrow::ProjectionMask::roots(parquet_schema, [root]);
    let reader = builder.with_projection(mask).build().map_err(|e| malformed(&e))?;
    for batch in reader {
        let batch = batch.map_err(|e| malformed(&e))?;
        let protocol = batch.column(0).as_struct();
        let int = |name: &str| protocol.column_by_name(name).and_then(|c| c.as_any().downcast_ref::<Int32Array>().cloned());
        let (Some(readers), Some(writers)) = (int("minReaderVersion"), int("minWriterVersion")) else {
            return Err(malformed(&"protocol has no minReaderVersion/minWriterVersion"));
        };
        let features = |name: &str, row: usize| -> Option<Vec<String>> {
            let list = protocol.column_by_name(name)?.as_any().downcast_ref::<ListArray>()?;
            if list.is_null(row) {
                return None;
            }
            let values = list.value(row);
            let strings = values.as_any().downcast_ref::<StringArray>()?;
            Some(strings.iter().flatten().map(str::to_string).collect())
        };
        for row in 0..batch.num_rows() {
            if protocol.is_valid(row) && readers.is_valid(row) {
                return Ok(Some(Protocol {
                    min_reader_version: readers.value(row),
                    min_writer_version: writers.value(row),
                    reader_features: features("readerFeatures", row),
                    writer_features: features("writerFeatures", row),
                }));
            }
        }
    }
    Ok(None)
}

fn schema_in_parquet(bytes: bytes::Bytes, location: &Path) -> Result<Option<String>> {
    use arrow::array::{Array, AsArray, StringArray};
    let malformed = |e: &dyn std::fmt::Display| Error::Delta(format!("malformed checkpoint '{location}': {e}"));
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| malformed(&e))?;
    let Some(root) = builder.schema().fields().iter().position(|f| f.name() == "metaData") else {
        return Ok(None);
    };
    let mask = deltalake_core::parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), [root]);
    let reader = builder.with_projection(mask).build().map_err(|e| malformed(&e))?;
    for batch in reader {
        let batch = batch.map_err(|e| malformed(&e))?;
        let metadata = batch.column(0).as_struct();
        let Some(schemas) = metadata.column_by_name("schemaString").and_then(|c| c.as_any().downcast_ref::<StringArray>())
        else {
            return Err(malformed(&"metaData has no schemaString"));
        };
        if let Some(row) = (0..batch.num_rows()).find(|&row| metadata.is_valid(row) && schemas.is_valid(row)) {
            return Ok(Some(schemas.value(row).to_string()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_file_names_are_classified() {
        assert_eq!(classify("00000000000000000003.json"), Some((3, LogFileKind::Commit)));
        assert_eq!(classify("00000000000000000010.checkpoint.parquet"), Some((10, LogFileKind::ParquetCheckpoint)));
        assert_eq!(
            classify("00000000000000000010.checkpoint.0000000001.0000000002.parquet"),
            Some((10, LogFileKind::ParquetCheckpoint))
        );
        assert_eq!(
            classify("00000000000000000006.checkpoint.f5ee283b-37c7-46af-b64c-8f77c6a5c43a.json"),
            Some((6, LogFileKind::JsonCheckpoint))
        );
        assert_eq!(classify("00000000000000000006.crc"), None);
        assert_eq!(classify("_last_checkpoint"), None);
    }

    #[test]
    fn a_protocol_action_is_found_among_other_actions() {
        let text = br#"{"commitInfo":{"timestamp":1}}
{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors"],"writerFeatures":["deletionVectors"]}}
{"add":{"path":"a.parquet"}}"#;
        let mut found = Found::default();
        found.fill_from_json_lines(text, &Path::from("x")).expect("valid");
        let protocol = found.protocol.expect("present");
        assert_eq!(protocol.min_reader_version, 3);
        assert_eq!(protocol.reader_features, Some(vec!["deletionVectors".to_string()]));
        assert_eq!(found.schema_string, None);
        let mut found = Found::default();
        found.fill_from_json_lines(br#"{"add":{"path":"protocol"}}"#, &Path::from("x")).expect("valid");
        assert_eq!(found.protocol, None);
    }
}
