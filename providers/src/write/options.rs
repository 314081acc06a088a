//! The commit options of one write: the dataset's, overridden key by key by
//! the session's `dfpack.commit.*` options.

use std::collections::BTreeMap;

use deltalake_core::kernel::Transaction;
use deltalake_core::kernel::transaction::CommitProperties;
use dfpack_common::session_options::{CommitSessionOptions, DfpackOptions};
use dfpack_common::{Error, Result};
use dfpack_contracts::{AppTransaction, CommitOptions};

/// The metadata key under which the pack records itself in `commitInfo`.
const ENGINE_KEY: &str = "dfpack.engine";

/// Merges the dataset's commit options with the session's: a session value
/// replaces the dataset's for that key; metadata maps are merged (session wins).
pub fn effective(dataset: &CommitOptions, session: &DfpackOptions) -> Result<CommitOptions> {
    let set = parse_session(&session.commit)?;
    let mut metadata = dataset.metadata.clone().unwrap_or_default();
    metadata.extend(set.metadata.unwrap_or_default());
    Ok(CommitOptions {
        metadata: if metadata.is_empty() { None } else { Some(metadata) },
        app_transaction: set.app_transaction.or_else(|| dataset.app_transaction.clone()),
        max_retries: set.max_retries.or(dataset.max_retries),
    })
}

/// The session's commit options, checked; empty strings count as unset.
fn parse_session(options: &CommitSessionOptions) -> Result<CommitOptions> {
    let value = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let (app_id, app_version) = (value(&options.app_id), value(&options.app_version));
    let app_transaction = match (app_id, app_version) {
        (None, None) => None,
        (Some(app_id), Some(version)) => match version.parse::<i64>() {
            Ok(version) if version >= 0 => Some(AppTransaction { app_id, version }),
            _ => {
                return Err(Error::Config(format!(
                    "session option dfpack.commit.app_version: expected a non-negative integer, found '{version}'"
                )));
            }
        },
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::Config(
                "session options dfpack.commit.app_id and dfpack.commit.app_version go together: set both, or neither"
                    .to_string(),
            ));
        }
    };
    let metadata = match value(&options.metadata) {
        None => None,
        Some(text) => Some(serde_json::from_str::<BTreeMap<String, String>>(&text).map_err(|e| {
            Error::Config(format!(
                "session option dfpack.commit.metadata: expected a JSON object of strings, e.g. '{{\"job\":\"nightly\"}}': {e}"
            ))
        })?),
    };
    let max_retries = match value(&options.max_retries) {
        None => None,
        Some(text) => match text.parse::<u32>() {
            Ok(n) if n <= 1000 => Some(n),
            _ => {
                return Err(Error::Config(format!(
                    "session option dfpack.commit.max_retries: expected an integer from 0 to 1000, found '{text}'"
                )));
            }
        },
    };
    Ok(CommitOptions { metadata, app_transaction, max_retries })
}

/// deltalake's commit properties for `options`.
pub fn commit_properties(options: &CommitOptions) -> CommitProperties {
    let mut metadata: Vec<(String, serde_json::Value)> = options
        .metadata
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    metadata.push((ENGINE_KEY.to_string(), serde_json::Value::String(format!("dfpack {}", env!("CARGO_PKG_VERSION")))));
    let mut properties = CommitProperties::default().with_metadata(metadata);
    if let Some(txn) = &options.app_transaction {
        properties = properties.with_application_transaction(Transaction::new(&txn.app_id, txn.version));
    }
    if let Some(retries) = options.max_retries {
        properties = properties.with_max_retries(retries as usize);
    }
    properties
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(pairs: &[(&str, &str)]) -> DfpackOptions {
        let mut options = DfpackOptions::default();
        for (k, v) in pairs {
            datafusion::common::config::ExtensionOptions::set(&mut options, k, v).unwrap();
        }
        options
    }

    #[test]
    fn session_values_override_the_dataset_key_by_key() {
        let dataset = CommitOptions {
            metadata: Some(BTreeMap::from([("owner".into(), "etl".into()), ("job".into(), "a".into())])),
            app_transaction: Some(AppTransaction { app_id: "d".into(), version: 1 }),
            max_retries: Some(4),
        };
        let merged = effective(
            &dataset,
            &session(&[("commit.metadata", r#"{"job":"b"}"#), ("commit.app_id", "s"), ("commit.app_version", "7")]),
        )
        .unwrap();
        assert_eq!(merged.metadata, Some(BTreeMap::from([("owner".into(), "etl".into()), ("job".into(), "b".into())])));
        assert_eq!(merged.app_transaction, Some(AppTransaction { app_id: "s".into(), version: 7 }));
        assert_eq!(merged.max_retries, Some(4));
        assert_eq!(effective(&dataset, &session(&[("commit.app_id", ""), ("commit.app_version", "")])).unwrap(), dataset);
    }

    #[test]
    fn bad_session_values_are_named() {
        let error = |pairs: &[(&str, &str)]| effective(&CommitOptions::default(), &session(pairs)).unwrap_err().to_string();
        assert!(error(&[("commit.app_id", "x")]).contains("set both, or neither"));
        assert!(error(&[("commit.app_id", "x"), ("commit.app_version", "-1")]).contains("dfpack.commit.app_version"));
        assert!(error(&[("commit.metadata", "[1]")]).contains("dfpack.commit.metadata"));
        assert!(error(&[("commit.max_retries", "many")]).contains("dfpack.commit.max_retries"));
    }
}
