//! Where a table is and which version of it: parsing table URIs and opening
//! their log stores, local or in an object store.

use std::sync::{Arc, Once};

use chrono::{DateTime, SecondsFormat, Utc};
use deltalake_core::logstore::{
    LogStore, LogStoreFactory, LogStoreRef, ObjectStoreFactory, ObjectStoreRef, StorageConfig, default_logstore,
    logstore_factories, object_store_factories,
};
use deltalake_core::{DeltaResult, DeltaTableBuilder, DeltaTableError};
use dfpack_common::{Error, Result};
use dfpack_contracts::TableReference;
use object_store::path::Path;
use url::Url;

/// Which version of a table a read sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionSpec {
    #[default]
    Latest,
    Version(u64),
    /// The newest version committed at or before this time.
    Timestamp(DateTime<Utc>),
}

/// How the pack reads the schema's `TableReference`, the one stored form of
/// a table's location and version.
pub trait TableReferenceExt: Sized {
    /// The latest version of a table, with no storage options.
    fn local(uri: impl Into<String>) -> Self;
    /// The same table at `at`.
    fn at(self, at: VersionSpec) -> Self;
    /// Which version a read sees: from `version` or `timestamp` (an error when
    /// both are given or the timestamp does not parse).
    fn version_spec(&self) -> Result<VersionSpec>;
}

impl TableReferenceExt for TableReference {
    fn local(uri: impl Into<String>) -> Self {
        TableReference { uri: uri.into(), storage_options: None, version: None, timestamp: None }
    }

    fn at(mut self, at: VersionSpec) -> Self {
        (self.version, self.timestamp) = match at {
            VersionSpec::Latest => (None, None),
            VersionSpec::Version(version) => (Some(version), None),
            VersionSpec::Timestamp(ts) => (None, Some(format_timestamp(ts))),
        };
        self
    }

    fn version_spec(&self) -> Result<VersionSpec> {
        match (self.version, &self.timestamp) {
            (Some(_), Some(_)) => Err(Error::Config(format!(
                "table '{}': give either version or timestamp, not both",
                self.uri
            ))),
            (Some(version), None) => Ok(VersionSpec::Version(version)),
            (None, Some(text)) => parse_timestamp(text)
                .map(VersionSpec::Timestamp)
                .map_err(|why| Error::Config(format!("table '{}': timestamp {why}", self.uri))),
            (None, None) => Ok(VersionSpec::Latest),
        }
    }
}

/// A timestamp as a table reference spells it: RFC 3339 in UTC, one spelling
/// per instant (so equal references compare and hash equal).
pub fn format_timestamp(ts: DateTime<Utc>) -> String {
    ts.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// RFC 3339 (`2024-01-02T03:04:05Z`), or a date (`2024-01-02`, midnight UTC).
pub fn parse_timestamp(text: &str) -> std::result::Result<DateTime<Utc>, String> {
    if let Ok(ts) = DateTime::parse_from_rfc3339(text) {
        return Ok(ts.with_timezone(&Utc));
    }
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(midnight) = date.and_hms_opt(0, 0, 0)
    {
        return Ok(midnight.and_utc());
    }
    Err(format!("'{text}' is not an RFC 3339 timestamp (2024-01-02T03:04:05Z) or a date (2024-01-02)"))
}

/// URL schemes the pack reaches, through deltalake's object stores.
const SCHEMES: [&str; 9] = ["file", "memory", "s3", "s3a", "gs", "az", "abfs", "abfss", "azure"];

/// Checks a table URI's syntax without touching storage: a URL of a supported
/// scheme, or a local path.
pub fn parse_table_uri(uri: &str) -> std::result::Result<(), String> {
    if uri.trim().is_empty() {
        return Err("is empty".to_string());
    }
    if uri.contains("://") {
        let url = Url::parse(uri).map_err(|e| format!("'{uri}' is not a valid URL: {e}"))?;
        if !SCHEMES.contains(&url.scheme()) {
            return Err(format!("scheme '{}' is not supported (use one of {})", url.scheme(), SCHEMES.join(", ")));
        }
    }
    Ok(())
}

/// The table's root as a URL (with a trailing slash). A local path must exist.
pub fn table_url(uri: &str) -> Result<Url> {
    parse_table_uri(uri).map_err(|why| Error::Config(format!("table URI {why}")))?;
    let mut url = if uri.contains("://") {
        Url::parse(uri).map_err(|e| Error::Config(format!("table URI '{uri}' is not a valid URL: {e}")))?
    } else {
        let path = std::fs::canonicalize(uri)
            .map_err(|e| Error::Delta(format!("table '{uri}' does not exist or cannot be accessed: {e}")))?;
        Url::from_directory_path(&path)
            .map_err(|()| Error::Delta(format!("table '{uri}' is not a directory path")))?
    };
    if url.scheme() == "file" {
        let path = url.to_file_path().map_err(|()| Error::Delta(format!("table URI '{uri}' is not a local path")))?;
        if !path.is_dir() {
            return Err(Error::Delta(format!("table '{uri}' does not exist (no directory at {})", path.display())));
        }
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Opens the log store of a table. No IO happens here.
pub fn open_log_store(table: &TableReference) -> Result<LogStoreRef> {
    register_cloud_stores();
    let url = table_url(&table.uri)?;
    let options = table.storage_options.iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
    DeltaTableBuilder::from_url(url)
        .and_then(|builder| builder.with_storage_options(options).build_storage())
        .map_err(|e| Error::Delta(format!("cannot open table '{}': {}", table.uri, describe_delta_error(&e))))
}

/// deltalake's errors, without Rust enum names where a plainer sentence exists.
pub fn describe_delta_error(error: &DeltaTableError) -> String {
    match error {
        DeltaTableError::InvalidTableLocation(location) => format!("unsupported or invalid table location {location}"),
        DeltaTableError::NotATable(why) => format!("not a Delta table ({why})"),
        other => other.to_string(),
    }
}

/// Object stores for cloud URLs, built by `object_store` from the table's
/// storage options, with deltalake's retry settings (`max_retries`,
/// `retry_timeout`, `backoff_config.*`) applied.
#[derive(Debug, Default)]
struct CloudStoreFactory;

impl ObjectStoreFactory for CloudStoreFactory {
    fn parse_url_opts(&self, url: &Url, config: &StorageConfig) -> DeltaResult<(ObjectStoreRef, Path)> {
        use object_store::ObjectStoreScheme;
        let (scheme, path) =
            ObjectStoreScheme::parse(url).map_err(|e| DeltaTableError::InvalidTableLocation(format!("{url}: {e}")))?;
        let path = Path::parse(path).map_err(object_store::Error::from)?;
        let retry = config.retry.clone();
        let store: ObjectStoreRef = match scheme {
            ObjectStoreScheme::AmazonS3 => {
                let builder = configured(object_store::aws::AmazonS3Builder::new().with_url(url.as_str()), config, |b, k, v| b.with_config(k, v));
                Arc::new(builder.with_retry(retry).build()?)
            }
            ObjectStoreScheme::GoogleCloudStorage => {
                let builder = configured(object_store::gcp::GoogleCloudStorageBuilder::new().with_url(url.as_str()), config, |b, k, v| b.with_config(k, v));
                Arc::new(builder.with_retry(retry).build()?)
            }
            ObjectStoreScheme::MicrosoftAzure => {
                let builder = configured(object_store::azure::MicrosoftAzureBuilder::new().with_url(url.as_str()), config, |b, k, v| b.with_config(k, v));
                Arc::new(builder.with_retry(retry).build()?)
            }
            _ => Arc::from(object_store::parse_url_opts(url, config.raw.iter())?.0),
        };
        Ok((store, path))
    }
}

/// Applies every storage option the builder knows (case-insensitively); the
/// rest are deltalake's own (retries, limits) or another store's.
fn configured<B, K: std::str::FromStr>(builder: B, config: &StorageConfig, set: impl Fn(B, K, String) -> B) -> B {
    config.raw.iter().fold(builder, |builder, (key, value)| match key.to_ascii_lowercase().parse::<K>() {
        Ok(key) => set(builder, key, value.clone()),
        Err(_) => builder,
    })
}

impl LogStoreFactory for CloudStoreFactory {
    fn with_options(
        &self,
        prefixed_store: ObjectStoreRef,
        root_store: ObjectStoreRef,
        location: &Url,
        options: &StorageConfig,
    ) -> DeltaResult<Arc<dyn LogStore>> {
        // Reads need no commit coordination; writes to S3 rely on the store's
        // conditional puts (see the writes' documentation).
        Ok(default_logstore(prefixed_store, root_store, location, options))
    }
}

/// deltalake-core only knows `file://` and `memory://`; the cloud schemes are
/// registered here once per process (a host that registered its own keeps them).
fn register_cloud_stores() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let (stores, logs) = (object_store_factories(), logstore_factories());
        for scheme in ["s3", "s3a", "gs", "az", "abfs", "abfss", "azure"] {
            if let Ok(url) = Url::parse(&format!("{scheme}://")) {
                stores.entry(url.clone()).or_insert_with(|| Arc::new(CloudStoreFactory));
                logs.entry(url).or_insert_with(|| Arc::new(CloudStoreFactory));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn uris_are_checked_without_touching_storage() {
        assert!(parse_table_uri("s3://bucket/events").is_ok());
        assert!(parse_table_uri("/data/events").is_ok());
        assert_eq!(
            parse_table_uri("ftp://host/t").unwrap_err(),
            "scheme 'ftp' is not supported (use one of file, memory, s3, s3a, gs, az, abfs, abfss, azure)"
        );
        assert_eq!(parse_table_uri(" ").unwrap_err(), "is empty");
    }

    #[test]
    fn a_reference_gives_its_version_spec_and_round_trips_it() {
        let ts = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        for at in [VersionSpec::Latest, VersionSpec::Version(7), VersionSpec::Timestamp(ts)] {
            assert_eq!(TableReference::local("/t").at(at).version_spec().unwrap(), at);
        }
        let dated = TableReference { timestamp: Some("2024-01-02".into()), ..TableReference::local("/t") };
        assert_eq!(
            dated.version_spec().unwrap(),
            VersionSpec::Timestamp(Utc.with_ymd_and_hms(2024, 1, 2, 0, 0, 0).unwrap())
        );
        let at_ts = TableReference::local("/t").at(VersionSpec::Timestamp(ts));
        assert_eq!(at_ts.timestamp.as_deref(), Some("2024-01-02T03:04:05Z"));
        let both = TableReference { version: Some(1), ..dated.clone() };
        assert_eq!(
            both.version_spec().unwrap_err().to_string(),
            "[dfpack:config] table '/t': give either version or timestamp, not both"
        );
        let bad = TableReference { timestamp: Some("yesterday".into()), ..TableReference::local("/t") };
        assert_eq!(
            bad.version_spec().unwrap_err().to_string(),
            "[dfpack:config] table '/t': timestamp 'yesterday' is not an RFC 3339 timestamp (2024-01-02T03:04:05Z) \
             or a date (2024-01-02)"
        );
    }

    #[test]
    fn a_missing_local_table_is_named() {
        let error = table_url("/nonexistent/dfpack/table").unwrap_err();
        assert_eq!(error.kind(), dfpack_common::ErrorKind::Delta);
        assert!(error.to_string().contains("table '/nonexistent/dfpack/table' does not exist"), "{error}");
    }

    #[test]
    fn cloud_tables_get_object_stores_from_their_storage_options() {
        let table = TableReference {
            storage_options: Some(
                [("AWS_REGION", "eu-west-1"), ("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..TableReference::local("s3://dfpack-bucket/events")
        };
        let store = open_log_store(&table).expect("an S3 log store");
        assert_eq!(store.root_url().as_str(), "s3://dfpack-bucket/events/");
        let description = format!("{:?}", store.object_store(None));
        assert!(description.contains("dfpack-bucket"), "{description}");
    }
}
