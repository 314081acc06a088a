//! Compiled checks, kept: parsing and planning a contract's check constraints
//! is most of what validation adds to planning, and a dataset is planned again
//! and again with the same contract over rows of the same schema.
//!
//! Keyed by the dataset, the fingerprint of its contract and the schema of the
//! rows checked: a changed contract or a table whose schema changed compiles
//! afresh. A binding seen before is found by identity first, without
//! fingerprinting its contract again (a provider keeps one binding for all
//! its scans). Entries are few (one per dataset and projection); past
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

/// A binding by identity: the entry holds the binding, so its address is not reused while kept.
#[derive(Debug, Clone)]
struct SameBinding(Arc<ContractBinding>);

impl PartialEq for SameBinding {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SameBinding {}

impl std::hash::Hash for SameBinding {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(Arc::as_ptr(&self.0), state);
    }
}

#[derive(Debug, Default)]
struct Entries {
    by_contract: HashMap<Key, Arc<[Check]>>,
    by_binding: HashMap<(SameBinding, SchemaRef), Arc<[Check]>>,
}

impl Entries {
    fn insert(&mut self, binding: &Arc<ContractBinding>, key: Key, checks: &Arc<[Check]>) {
        if self.by_contract.len() >= MAX_ENTRIES || self.by_binding.len() >= MAX_ENTRIES {
            self.by_contract.clear();
            self.by_binding.clear();
        }
        self.by_binding.insert((SameBinding(Arc::clone(binding)), Arc::clone(&key.schema)), Arc::clone(checks));
        self.by_contract.insert(key, Arc::clone(checks));
    }
}

#[derive(Debug, Default)]
pub struct CheckCache {
    entries: Mutex<Entries>,
    hits: AtomicU64,
    compilations: AtomicU64,
}

impl CheckCache {
    /// The checks of `binding` over rows of `schema`: kept ones, or those
    /// `compile` makes (kept when it succeeds).
    pub(crate) fn get_or_compile(
        &self,
        binding: &Arc<ContractBinding>,
        schema: &SchemaRef,
        compile: impl FnOnce() -> dfpack_common::Result<Arc<[Check]>>,
    ) -> dfpack_common::Result<Arc<[Check]>> {
        let same = (SameBinding(Arc::clone(binding)), Arc::clone(schema));
        if let Some(checks) = self.entries.lock().by_binding.get(&same) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Arc::clone(checks));
        }
        // A contract without a fingerprint (it cannot be: it was decoded) is
        // simply compiled every time.
        let Ok(contract) = codec::fingerprint(&binding.contract) else {
            self.compilations.fetch_add(1, Ordering::Relaxed);
            return compile();
        };
        let key = Key { dataset: binding.dataset.clone(), contract, schema: Arc::clone(schema) };
        let mut entries = self.entries.lock();
        if let Some(checks) = entries.by_contract.get(&key).cloned() {
            self.hits.fetch_add(1, Ordering::Relaxed);
            entries.insert(binding, key, &checks);
            return Ok(checks);
        }
        drop(entries);
        self.compilations.fetch_add(1, Ordering::Relaxed);
        let checks = compile()?;
        self.entries.lock().insert(binding, key, &checks);
        Ok(checks)
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats { hits: self.hits.load(Ordering::Relaxed), compilations: self.compilations.load(Ordering::Relaxed) }
    }
}
