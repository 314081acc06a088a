//! The process-wide record of data violations, read by
//! `pack_contract_violations()`. Bounded: the oldest records go first.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

/// Records kept; a busy `warn` dataset must not grow the process without bound.
pub const MAX_RECORDS: usize = 1024;

/// The violations of one check, found by one validation stream (one partition
/// of one query's read or write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViolationRecord {
    /// Order of recording in this process, from 1.
    pub seq: u64,
    pub dataset: String,
    /// The table version read; `None` for a write.
    pub version: Option<u64>,
    /// `read` or `write`.
    pub operation: &'static str,
    /// `enforce` (the query failed) or `warn` (the rows passed).
    pub mode: &'static str,
    /// `not_null` or `check_constraint`.
    pub check: &'static str,
    /// The column (`not_null`) or the constraint's name.
    pub name: String,
    /// The constraint's SQL; `None` for `not_null`.
    pub expression: Option<String>,
    pub failing_rows: u64,
    pub rows_checked: u64,
    /// A few failing values (or row positions, for nulls).
    pub samples: Vec<String>,
}

/// A bounded log of records; the pack has one, [`LOG`].
pub struct ViolationLog {
    capacity: usize,
    inner: Mutex<(u64, VecDeque<ViolationRecord>)>,
}

impl ViolationLog {
    pub const fn new(capacity: usize) -> Self {
        ViolationLog { capacity, inner: Mutex::new((0, VecDeque::new())) }
    }

    /// Records `record` (its `seq` is assigned here).
    pub fn record(&self, mut record: ViolationRecord) {
        // A poisoned log still holds valid records: a panic elsewhere must not stop recording.
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (last_seq, records) = &mut *inner;
        *last_seq += 1;
        record.seq = *last_seq;
        if records.len() == self.capacity {
            records.pop_front();
        }
        records.push_back(record);
    }

    /// The records kept, oldest first.
    pub fn recent(&self) -> Vec<ViolationRecord> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).1.iter().cloned().collect()
    }
}

/// The pack's log, which validation writes to and `pack_contract_violations()` reads.
pub static LOG: ViolationLog = ViolationLog::new(MAX_RECORDS);

/// Records into [`LOG`].
pub fn record(record: ViolationRecord) {
    LOG.record(record);
}

/// The records of [`LOG`], oldest first.
pub fn recent() -> Vec<ViolationRecord> {
    LOG.recent()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a_record(name: &str) -> ViolationRecord {
        ViolationRecord {
            seq: 0,
            dataset: "log_bound_test".into(),
            version: Some(1),
            operation: "read",
            mode: "warn",
            check: "not_null",
            name: name.into(),
            expression: None,
            failing_rows: 1,
            rows_checked: 2,
            samples: vec!["row 1".into()],
        }
    }

    #[test]
    fn the_log_keeps_the_newest_records_up_to_its_bound() {
        let log = ViolationLog::new(3);
        for i in 0..5 {
            log.record(a_record(&format!("c{i}")));
        }
        let kept: Vec<(u64, String)> = log.recent().into_iter().map(|r| (r.seq, r.name)).collect();
        assert_eq!(kept, [(3, "c2".to_string()), (4, "c3".to_string()), (5, "c4".to_string())]);
    }
}
