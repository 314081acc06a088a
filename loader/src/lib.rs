//! The host side of dfpack: load a pack, verify it against this host, and
//! install what it exports into a DataFusion `SessionContext`.
//!
//! ```no_run
//! # async fn run() -> dfpack_loader::Result<()> {
//! use dfpack_loader::{Pack, SessionFactory};
//! let pack = Pack::load("target/debug/libdfpack.so")?;
//! let ctx = SessionFactory::new().with_pack(pack).build()?;
//! ctx.sql("SELECT stable_hash64('hello')").await?.show().await?;
//! # Ok(()) }
//! ```

mod install;
mod load_plugin;
mod pack;
#[cfg(target_os = "linux")]
mod preflight;
mod scalar_udf;
mod session;
mod verify;

pub use dfpack_abi::manifest::{PACK_ABI_MAJOR, PACK_ABI_MINOR};
pub use dfpack_abi::{ExportKind, PackManifest};
pub use dfpack_common::{Error, ErrorKind, Result};
pub use install::InstallReport;
pub use load_plugin::LoadPluginFunction;
pub use pack::{KernelBinder, Pack, default_pack_path};
pub use scalar_udf::PackScalarUdf;
pub use session::SessionFactory;

/// Re-exported so an embedding host needs no direct dependency of its own.
pub use datafusion;
