use std::sync::Arc;

use dfpack_common::Result;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::{SessionConfig, SessionContext};
use dfpack_common::session_options::DfpackOptions;

use crate::{LoadPluginFunction, Pack};

/// The one place a dfpack session is built: DataFusion's defaults, the host's
/// config and runtime, then every pack installed (all or nothing). The pack's
/// own configuration (catalogs, datasets, contracts) is applied here as well
/// once it exists, so every host gets it the same way.
#[derive(Debug, Clone)]
pub struct SessionFactory {
    config: SessionConfig,
    runtime_env: Option<Arc<RuntimeEnv>>,
    packs: Vec<Arc<Pack>>,
    pack_config: String,
    sql_plugin_loading: bool,
}

impl Default for SessionFactory {
    fn default() -> Self {
        SessionFactory::new()
    }
}

impl SessionFactory {
    /// DataFusion's default config with `information_schema` on, so
    /// `SHOW FUNCTIONS` lists what the packs add.
    pub fn new() -> Self {
        SessionFactory {
            config: SessionConfig::new().with_information_schema(true),
            runtime_env: None,
            packs: Vec::new(),
            pack_config: String::new(),
            sql_plugin_loading: false,
        }
    }

    pub fn with_config(mut self, config: SessionConfig) -> Self {
        self.config = config;
        self
    }

    pub fn with_runtime_env(mut self, runtime_env: Arc<RuntimeEnv>) -> Self {
        self.runtime_env = Some(runtime_env);
        self
    }

    pub fn with_pack(mut self, pack: Arc<Pack>) -> Self {
        self.packs.push(pack);
        self
    }

    /// The pack config (TOML or JSON text) the packs' catalogs are built from.
    pub fn with_pack_config(mut self, config: impl Into<String>) -> Self {
        self.pack_config = config.into();
        self
    }

    /// Reads the pack config from a file.
    pub fn with_pack_config_file(self, path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            dfpack_common::Error::Config(format!("cannot read pack config '{}': {e}", path.display()))
        })?;
        Ok(self.with_pack_config(text))
    }

    /// Adds `load_plugin(path)`, which loads native code named in SQL: only for
    /// hosts whose SQL comes from the person running them (a CLI), never for a
    /// service that runs other people's SQL.
    pub fn with_sql_plugin_loading(mut self, enabled: bool) -> Self {
        self.sql_plugin_loading = enabled;
        self
    }

    pub fn build(&self) -> Result<SessionContext> {
        let mut config = self.config.clone();
        // `SET dfpack.…` (the pack's session options) needs them registered.
        if config.options().extensions.get::<DfpackOptions>().is_none() {
            config = config.with_option_extension(DfpackOptions::default());
        }
        let mut builder = SessionStateBuilder::new().with_default_features().with_config(config);
        if let Some(runtime_env) = &self.runtime_env {
            builder = builder.with_runtime_env(Arc::clone(runtime_env));
        }
        let ctx = SessionContext::new_with_state(builder.build());
        let mut catalogs = 0;
        for pack in &self.packs {
            catalogs += usize::from(pack.install_with_config(&ctx, &self.pack_config)?.catalog.is_some());
        }
        if catalogs == 0 && !self.pack_config.trim().is_empty() {
            return Err(dfpack_common::Error::Config(
                "a pack config was given, but no loaded pack serves a catalog to apply it to".to_string(),
            ));
        }
        if self.sql_plugin_loading {
            ctx.register_udtf(LoadPluginFunction::NAME, Arc::new(LoadPluginFunction::new(&ctx)));
        }
        Ok(ctx)
    }
}
