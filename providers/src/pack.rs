//! What the pack serves of its Delta side, ready for the plugin to export.

use std::sync::Arc;

use dfpack_common::Result;
use tokio::runtime::Handle;

use crate::config::PackConfig;
use crate::contracts::ContractRegistry;
use crate::functions::DeltaTableFunction;
use crate::factory::{DELTA_FORMAT, DeltaTableFactory};
use crate::read_delta::{READ_DELTA, ReadDelta};
use crate::scans::ScanLog;
use crate::{CachePolicy, DeltaCatalog, DeltaEnv};

/// A catalog built from a pack config, and the factory adding tables to it.
#[derive(Debug, Clone)]
pub struct ConfiguredCatalog {
    pub name: String,
    pub catalog: Arc<DeltaCatalog>,
    pub factory_format: &'static str,
    pub factory: Arc<DeltaTableFactory>,
}

/// The Delta side of a pack: functions share one environment; each configured
/// catalog gets its own (its cache policy is the config's), and all record
/// their scans in one log.
#[derive(Debug)]
pub struct DeltaPack {
    runtime: Handle,
    scans: Arc<ScanLog>,
    functions_env: Arc<DeltaEnv>,
    contracts: Arc<ContractRegistry>,
}

impl DeltaPack {
    pub fn new(runtime: Handle) -> DeltaPack {
        let scans = Arc::new(ScanLog::default());
        let functions_env = DeltaEnv::sharing_scans(runtime.clone(), CachePolicy::default(), Arc::clone(&scans));
        DeltaPack { runtime, scans, functions_env, contracts: Arc::default() }
    }

    /// `read_delta`, the introspection functions and the contract functions.
    pub fn table_functions(&self) -> Vec<DeltaTableFunction> {
        let env = &self.functions_env;
        let mut functions = vec![DeltaTableFunction {
            name: READ_DELTA,
            function: Arc::new(ReadDelta::new(Arc::clone(env))),
            documentation: ReadDelta::documentation(),
        }];
        functions.extend(crate::functions::table_functions(Arc::clone(env)));
        functions.extend(crate::functions::contract_functions(Arc::clone(env), Arc::clone(&self.contracts)));
        functions
    }

    /// Builds the catalog a config describes; nothing is built from a config with errors.
    pub fn catalog(&self, config_text: &str) -> Result<ConfiguredCatalog> {
        let config =
            if config_text.trim().is_empty() { PackConfig::default() } else { PackConfig::parse_text(config_text)? };
        let env = DeltaEnv::sharing_scans(self.runtime.clone(), config.cache, Arc::clone(&self.scans));
        self.contracts.register(&config, &env);
        Ok(ConfiguredCatalog {
            name: config.catalog.clone(),
            catalog: Arc::new(DeltaCatalog::new(&config, Arc::clone(&env))),
            factory_format: DELTA_FORMAT,
            factory: Arc::new(DeltaTableFactory::new(env)),
        })
    }
}
