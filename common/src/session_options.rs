//! The pack's session options (`SET dfpack.<key> = '…'`), defined once for
//! every host: hosts register [`DfpackOptions`] in their sessions, the pack
//! reads it from the session it is given (natively, or across FFI where it
//! arrives as `datafusion_ffi` extension entries).

use datafusion_common::config::{ConfigExtension, ConfigOptions, ExtensionOptions};
use datafusion_common::{config_namespace, extensions_options};

config_namespace! {
    /// Options of the commits of the session's writes. Values are strings so
    /// that `SET … = ''` clears any of them; the pack parses and checks them.
    pub struct CommitSessionOptions {
        /// Application id of an idempotent write (with `app_version`).
        pub app_id: Option<String>, default = None
        /// The application's version of its progress: a write whose app id already
        /// committed this version or a later one writes nothing.
        pub app_version: Option<String>, default = None
        /// A JSON object of string values added to the commit's `commitInfo`.
        pub metadata: Option<String>, default = None
        /// Retries of a commit that lost a race with another writer.
        pub max_retries: Option<String>, default = None
    }
}

extensions_options! {
    /// dfpack's session options.
    pub struct DfpackOptions {
        /// `dfpack.commit.*`: how the session's writes commit.
        pub commit: CommitSessionOptions, default = CommitSessionOptions::default()
    }
}

impl ConfigExtension for DfpackOptions {
    const PREFIX: &'static str = "dfpack";
}

/// The namespace DataFusion gives foreign (FFI) extension entries.
const FFI_NAMESPACE: &str = datafusion_common::config::DATAFUSION_FFI_CONFIG_NAMESPACE;

impl DfpackOptions {
    /// The pack's options of a session: registered natively, or carried as
    /// FFI extension entries (`dfpack.x`, or `datafusion_ffi.dfpack.x` when the
    /// host itself held them as foreign entries, as datafusion-python does).
    /// A session that never set any gives the defaults.
    pub fn of(options: &ConfigOptions) -> datafusion_common::Result<DfpackOptions> {
        if let Some(local) = options.extensions.get::<DfpackOptions>() {
            return Ok(local.clone());
        }
        let mut found = DfpackOptions::default();
        for (_, extension) in options.extensions.iter() {
            for entry in extension.entries() {
                let key = entry.key.strip_prefix(&format!("{FFI_NAMESPACE}.")).unwrap_or(&entry.key);
                if let (Some(key), Some(value)) = (key.strip_prefix("dfpack."), entry.value.as_deref()) {
                    ExtensionOptions::set(&mut found, key, value)?;
                }
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_through_a_session_config_and_read_back() {
        let mut options = ConfigOptions::default();
        options.extensions.insert(DfpackOptions::default());
        options.set("dfpack.commit.app_id", "job-1").unwrap();
        options.set("dfpack.commit.app_version", "3").unwrap();
        let read = DfpackOptions::of(&options).unwrap();
        assert_eq!(read.commit.app_id.as_deref(), Some("job-1"));
        assert_eq!(read.commit.app_version.as_deref(), Some("3"));
        assert_eq!(read.commit.metadata, None);
        let keys: Vec<String> = read.entries().into_iter().filter(|e| e.value.is_some()).map(|e| e.key).collect();
        assert_eq!(keys, ["commit.app_id", "commit.app_version"]);
    }

    #[test]
    fn an_unknown_key_is_refused() {
        let mut options = ConfigOptions::default();
        options.extensions.insert(DfpackOptions::default());
        assert!(options.set("dfpack.commit.app", "x").is_err());
    }
}
