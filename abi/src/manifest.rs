/// The pack ABI version. The major changes when the root module changes
/// incompatibly; the minor when constructors are appended to it.
macro_rules! pack_abi_major {
    () => {
        1
    };
}
pub(crate) use pack_abi_major;

pub const PACK_ABI_MAJOR: u32 = pack_abi_major!();
pub const PACK_ABI_MINOR: u32 = 3;

/// The target triple this crate was compiled for (plugin and host each embed their own).
pub const TARGET: &str = env!("DFPACK_TARGET");

/// What a pack says about itself, and what it exports: generated from
/// `schemas/plugin_manifest.json`. Fully `StableAbi`: the loader reads it (and
/// refuses the pack) before it touches any datafusion-ffi struct.
pub use crate::generated_manifest::{ExportEntry, ExportKind, PackManifest};

/// The versions that matter for compatibility, as this side was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildVersions {
    pub abi_major: u32,
    pub abi_minor: u32,
    pub ffi_major: u64,
    pub datafusion_version: String,
    pub arrow_version: String,
    pub target: String,
}

impl BuildVersions {
    /// The versions of the side (plugin or host) this code was compiled into.
    pub fn current() -> Self {
        BuildVersions {
            abi_major: PACK_ABI_MAJOR,
            abi_minor: PACK_ABI_MINOR,
            ffi_major: datafusion_ffi::version(),
            datafusion_version: datafusion::DATAFUSION_VERSION.to_string(),
            arrow_version: datafusion::arrow::ARROW_VERSION.to_string(),
            target: TARGET.to_string(),
        }
    }

    pub fn of(manifest: &PackManifest) -> Self {
        BuildVersions {
            abi_major: manifest.abi_major,
            abi_minor: manifest.abi_minor,
            ffi_major: manifest.ffi_major,
            datafusion_version: manifest.datafusion_version.to_string(),
            arrow_version: manifest.arrow_version.to_string(),
            target: manifest.target.to_string(),
        }
    }
}

/// The major component of a "major.minor.patch" version string.
pub fn major_of(version: &str) -> Option<u64> {
    version.split('.').next()?.parse().ok()
}
