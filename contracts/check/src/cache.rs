//! Compiled checks, kept: parsing and planning a contract's check constraints
//! is most of what validation adds to planning, and a dataset is planned again
//! and again with the same contract over rows of the same schema.
//!
//! Keyed by the dataset, the fingerprint of its contract and the schema of the
//! rows checked: a changed contract or a table whose schema changed compiles
//! afresh. Entries are few (one per dataset and projection); past
//! [`MAX_ENTRIES`] the cache starts over rather than growing.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::datatypes::SchemaRef;
use dfpack_contracts::codec;
use parking_lot::Mutex;

use crate::bound::ContractBinding;
use crate::validate::Check;

/// Entries kept before the cache is emptied.
pub const MAX_ENTRIES: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    dataset: String,
    contract: String,
    schema: SchemaRef,
}

/// How often compiled checks were reused, and how often compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    pub hits: u64,
    pub compilations: u64,
}

#[derive(Debug, Default)]
pub struct CheckCache {
    entries: Mutex<HashMap<Key, Arc<[Check]>>>,
    hits: AtomicU64,
    compilations: AtomicU64,
}

impl CheckCache {
    /// The checks of `binding` over rows of `schema`: kept ones, or those
    /// `compile` makes (kept when it succeeds).
    pub(crate) fn get_or_compile(
        &self,
        binding: &ContractBinding,
        schema: &SchemaRef,
        compile: impl FnOnce() -> dfpack_common::Result<Arc<[Check]>>,
    ) -> dfpack_common::Result<Arc<[Check]>> {
        // A contract without a fingerprint (it cannot be: it was decoded) is
        // simply compiled every time.
        let Ok(contract) = codec::fingerprint(&binding.contract) else {
            self.compilations.fetch_add(1, Ordering::Relaxed);
            return compile();
        };
        let key = Key { dataset: binding.dataset.clone(), contract, schema: Arc::clone(schema) };
        if let Some(checks) = self.entries.lock().get(&key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Arc::clone(checks));
        }
        self.compilations.fetch_add(1, Ordering::Relaxed);
        let checks = compile()?;
        let mut entries = self.entries.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, Arc::clone(&checks));
        Ok(checks)
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats { hits: self.hits.load(Ordering::Relaxed), compilations: self.compilations.load(Ordering::Relaxed) }
    }
}
