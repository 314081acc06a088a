use abi_stable::StableAbi;
use abi_stable::std_types::{RString, RVec};

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

/// What a pack says about itself. Fully `StableAbi`: the loader reads it (and
/// refuses the pack) before it touches any datafusion-ffi struct.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct PackManifest {
    pub pack_name: RString,
    pub pack_version: RString,
    pub abi_major: u32,
    pub abi_minor: u32,
    /// `datafusion_ffi::version()` as the plugin was built.
    pub ffi_major: u64,
    /// The full datafusion version the plugin was built with, e.g. "55.2.0".
    pub datafusion_version: RString,
    /// The full arrow version the plugin was built with, e.g. "59.3.2".
    pub arrow_version: RString,
    pub target: RString,
    /// The file the pack was loaded from (resolved by the pack itself).
    pub path: RString,
    pub exports: RVec<ExportEntry>,
}

/// One exported component: a name and what kind of thing it is.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct ExportEntry {
    pub name: RString,
    pub kind: ExportKind,
}

/// Kinds of exports. Append-only: a new kind means a new pack ABI minor.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportKind {
    ScalarUdf,
    TableFunction,
}

impl ExportKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ExportKind::ScalarUdf => "scalar",
            ExportKind::TableFunction => "table",
        }
    }
}

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
