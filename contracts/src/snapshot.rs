//! The identity of a Delta table version, as `delta_snapshot` reports it.

use dfpack_common::Result;

use crate::{SnapshotInfo, codec};

impl SnapshotInfo {
    /// Properties outside a version's identity: the fingerprint itself, and
    /// the commit time (the commit file's modification time, which log
    /// cleanup removes while the version stays what it was).
    pub const NOT_IDENTITY: [&'static str; 2] = ["fingerprint", "commit_timestamp_ms"];

    /// The identity fingerprint: the canonical fingerprint of this snapshot
    /// info without [`NOT_IDENTITY`](Self::NOT_IDENTITY). The same table
    /// version has the same one wherever and however it is computed.
    pub fn identity_fingerprint(&self) -> Result<String> {
        codec::fingerprint_without(self, &Self::NOT_IDENTITY)
    }
}
