use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};

/// The pack's own tokio runtime.
///
/// A host may call in from a current-thread runtime, from another runtime, or
/// from none (datafusion-python polls futures on its own runtime; datafusion-ffi
/// enters the handle given here only in `execute` and `poll_next`, not in
/// `scan`). So the pack never assumes the caller's runtime: work that needs
/// a reactor runs on this one.
pub fn handle() -> Option<Handle> {
    static RUNTIME: OnceLock<Option<Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("dfpack-rt")
                .enable_all()
                .build()
                .ok()
        })
        .as_ref()
        .map(|runtime| runtime.handle().clone())
}
