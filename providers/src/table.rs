//! Where a table is and which version of it: parsing table URIs and opening
//! their log stores, local or in an object store.

use std::collections::BTreeMap;
use std::sync::{Arc, Once};

use chrono::{DateTime, Utc};
use deltalake_core::logstore::{
    LogStore, LogStoreFactory, LogStoreRef, ObjectStoreFactory, ObjectStoreRef, StorageConfig, default_logstore,
    logstore_factories, object_store_factories,
};
use deltalake_core::{DeltaResult, DeltaTableBuilder, DeltaTableError};
use dfpack_common::{Error, Result};
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

/// A table by location, with how to reach it and which version to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRef {
    pub uri: String,
    pub storage_options: BTreeMap<String, String>,
    pub at: VersionSpec,
}

impl TableRef {
    pub fn local(uri: impl Into<String>) -> TableRef {
        TableRef { uri: uri.into(), storage_options: BTreeMap::new(), at: VersionSpec::Latest }
    }

    pub fn at(mut self, at: VersionSpec) -> TableRef {
        self.at = at;
        self
    }
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
pub fn open_log_store(table: &TableRef) -> Result<LogStoreRef> {
    register_cloud_stores();
    let url = table_url(&table.uri)?;
    let options = table.storage_options.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
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
    fn a_missing_local_table_is_named() {
        let error = table_url("/nonexistent/dfpack/table").unwrap_err();
        assert_eq!(error.kind(), dfpack_common::ErrorKind::Delta);
        assert!(error.to_string().contains("table '/nonexistent/dfpack/table' does not exist"), "{error}");
    }

    #[test]
    fn cloud_tables_get_object_stores_from_their_storage_options() {
        let table = TableRef {
            uri: "s3://dfpack-bucket/events".into(),
            storage_options: [("AWS_REGION", "eu-west-1"), ("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            at: VersionSpec::Latest,
        };
        let store = open_log_store(&table).expect("an S3 log store");
        assert_eq!(store.root_url().as_str(), "s3://dfpack-bucket/events/");
        let description = format!("{:?}", store.object_store(None));
        assert!(description.contains("dfpack-bucket"), "{description}");
    }
}
