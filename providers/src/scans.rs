//! A record of recent scans: which table version each read, and how many files
//! and bytes it planned to open after pruning. Shown by `pack_delta_scans()`.

use std::collections::VecDeque;

use parking_lot::Mutex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRecord {
    pub table: String,
    pub uri: String,
    pub version: u64,
    pub files: u64,
    pub bytes: u64,
    pub filters: Vec<String>,
    pub limit: Option<usize>,
}

/// The most recent scans, oldest first, numbered from the start of the process.
#[derive(Debug, Default)]
pub struct ScanLog {
    records: Mutex<(u64, VecDeque<(u64, ScanRecord)>)>,
}

/// Scans kept: enough to inspect a few queries, bounded for long-lived hosts.
const KEPT: usize = 256;

impl ScanLog {
    pub fn record(&self, record: ScanRecord) {
        let mut guard = self.records.lock();
        let (next, records) = &mut *guard;
        *next += 1;
        records.push_back((*next, record));
        if records.len() > KEPT {
            records.pop_front();
        }
    }

    /// The kept scans with their sequence numbers, oldest first.
    pub fn recent(&self) -> Vec<(u64, ScanRecord)> {
        self.records.lock().1.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_most_recent_scans_in_order() {
        let log = ScanLog::default();
        for version in 0..(KEPT as u64 + 3) {
            log.record(ScanRecord {
                table: "t".into(),
                uri: "/t".into(),
                version,
                files: 1,
                bytes: 2,
                filters: vec![],
                limit: None,
            });
        }
        let recent = log.recent();
        assert_eq!(recent.len(), KEPT);
        assert_eq!(recent[0].0, 4);
        assert_eq!(recent[0].1.version, 3);
        assert_eq!(recent.last().map(|(n, _)| *n), Some(KEPT as u64 + 3));
    }
}
