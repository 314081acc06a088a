use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use abi_stable::library::{LibraryError, RawLibrary, RootModule, lib_header_from_raw_library};
use abi_stable::std_types::{ROption, RStr};
use dfpack_abi::bound_kernel::BoundScalarKernel;
use dfpack_abi::kernel::FFI_ScalarKernel;
use dfpack_abi::manifest::BuildVersions;
use dfpack_abi::{CatalogHandle, ExportKind, LogicalCodecHandle, PackManifest, PackModuleRef};
use dfpack_common::{Error, Result};
use dfpack_contracts::PluginManifest;
use dfpack_contracts::decode::{Node, decode_node};
use datafusion::arrow::datatypes::FieldRef;
use datafusion::error::DataFusionError;
use datafusion_ffi::physical_optimizer::FFI_PhysicalOptimizerRule;
use datafusion_ffi::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion_ffi::udf::FFI_ScalarUDF;
use datafusion_ffi::udtf::FFI_TableFunction;

use crate::verify::incompatibilities;

/// Binds a pack scalar function's kernel to a call site's argument and return fields.
pub type KernelBinder =
    Arc<dyn Fn(&[FieldRef], &FieldRef) -> datafusion::error::Result<BoundScalarKernel> + Send + Sync>;

/// A loaded, verified pack. Its library stays loaded for the life of the
/// process: its code backs every function it handed out.
pub struct Pack {
    path: PathBuf,
    manifest: PackManifest,
    module: PackModuleRef,
}

impl std::fmt::Debug for Pack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pack").field("path", &self.path).field("manifest", &self.manifest).finish()
    }
}

impl Pack {
    /// Loads the pack at `path` and verifies it against this host before
    /// touching any FFI struct. Loading the same file again returns the same pack.
    pub fn load(path: impl AsRef<Path>) -> Result<Arc<Pack>> {
        let requested = path.as_ref();
        let path = std::fs::canonicalize(requested).map_err(|error| {
            Error::Abi(format!("cannot load plugin '{}': {error}", requested.display()))
        })?;
        if !path.is_file() {
            return Err(Error::Abi(format!("cannot load plugin '{}': not a file", path.display())));
        }
        let mut loaded = loaded_packs().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(pack) = loaded.get(&path) {
            return Ok(Arc::clone(pack));
        }
        let pack = Arc::new(Self::load_new(path.clone())?);
        loaded.insert(path, Arc::clone(&pack));
        Ok(pack)
    }

    fn load_new(path: PathBuf) -> Result<Pack> {
        let refuse = |reason: String| Error::Abi(format!("cannot load plugin '{}': {reason}", path.display()));
        #[cfg(target_os = "linux")]
        crate::preflight::check_elf(&path).map_err(refuse)?;
        let library = RawLibrary::load_at(&path).map_err(|error| refuse(describe_open_error(error)))?;
        // Never unloaded: a refused library is simply never used; an accepted one
        // backs every Arc it hands out.
        let library: &'static RawLibrary = Box::leak(Box::new(library));
        // SAFETY: the library is leaked above, so the 'static header never dangles.
        let header = unsafe { lib_header_from_raw_library(library) }
            .map_err(|error| refuse(describe_header_error(error)))?;
        let module = header
            .init_root_module::<PackModuleRef>()
            .map_err(|error| refuse(describe_header_error(error)))?;
        let manifest = module.manifest()().into_result().map_err(|reason| refuse(reason.into()))?;
        check_manifest(&manifest).map_err(refuse)?;

        let problems = incompatibilities(&BuildVersions::of(&manifest), &BuildVersions::current());
        if !problems.is_empty() {
            return Err(Error::Abi(format!(
                "refusing plugin '{}' ({} {}): {}",
                path.display(),
                manifest.pack_name,
                manifest.pack_version,
                problems.join("; ")
            )));
        }
        Ok(Pack { path, manifest, module })
    }

    /// The manifest as the schema's payload type.
    pub fn manifest_payload(&self) -> PluginManifest {
        PluginManifest::from(self.manifest.clone())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn manifest(&self) -> &PackManifest {
        &self.manifest
    }

    pub fn name(&self) -> &str {
        self.manifest.pack_name.as_str()
    }

    pub fn version(&self) -> &str {
        self.manifest.pack_version.as_str()
    }

    /// The names this pack exports, with their kinds.
    pub fn exports(&self) -> impl Iterator<Item = (&str, ExportKind)> {
        self.manifest.exports.iter().map(|entry| (entry.name.as_str(), entry.kind))
    }

    /// The FFI struct of one exported scalar UDF (hosts other than a
    /// `SessionContext`, such as the Python package, register these themselves).
    pub fn ffi_scalar_udf(&self, name: &str) -> Result<FFI_ScalarUDF> {
        self.module
            .scalar_udf()(RStr::from_str(name))
            .into_result()
            .map(|handle| handle.ffi)
            .map_err(|reason| self.export_error(name, reason.as_str()))
    }

    /// The kernel of one exported scalar UDF (the fast path of its
    /// evaluation); `None` from a pack that predates pack ABI 1.2.
    pub fn ffi_scalar_kernel(&self, name: &str) -> Result<Option<FFI_ScalarKernel>> {
        let Some(kernel) = self.module.scalar_kernel() else {
            return Ok(None);
        };
        kernel(RStr::from_str(name))
            .into_result()
            .map(|handle| Some(handle.ffi))
            .map_err(|reason| self.export_error(name, reason.as_str()))
    }

    /// What binds the kernel of one exported scalar UDF to a call site's
    /// fields; `None` from a pack that predates pack ABI 1.3.
    pub fn scalar_kernel_binder(&self, name: &str) -> Option<KernelBinder> {
        let bind = self.module.bound_scalar_kernel()?;
        let (name, image) = (name.to_string(), self.path.clone());
        Some(Arc::new(move |arg_fields: &[FieldRef], return_field: &FieldRef| {
            let fields = BoundScalarKernel::export_fields(arg_fields, return_field)?;
            let handle = bind(RStr::from_str(&name), fields).into_result().map_err(|reason| {
                DataFusionError::Execution(format!("{}: cannot bind '{name}': {reason}", image.display()))
            })?;
            Ok(BoundScalarKernel::new(handle.ffi, arg_fields.to_vec(), Arc::clone(return_field)))
        }))
    }

    /// The FFI struct of one exported table function, bound to the host
    /// session that `codec` carries.
    pub fn ffi_table_function(&self, name: &str, codec: FFI_LogicalExtensionCodec) -> Result<FFI_TableFunction> {
        self.module
            .table_function()(RStr::from_str(name), LogicalCodecHandle { ffi: codec })
            .into_result()
            .map(|handle| handle.ffi)
            .map_err(|reason| self.export_error(name, reason.as_str()))
    }

    /// The pack's catalog hook and table factory, built from `config` (TOML or
    /// JSON text; empty for the defaults) and bound to the host session that
    /// `codec` carries; `None` for a pack that serves no catalog (or predates
    /// pack ABI 1.1). A config error keeps its kind (`config`).
    pub fn ffi_catalog(&self, config: &str, codec: FFI_LogicalExtensionCodec) -> Result<Option<CatalogHandle>> {
        let Some(catalog) = self.module.catalog() else {
            return Ok(None);
        };
        catalog(RStr::from_str(config), LogicalCodecHandle { ffi: codec })
            .into_result()
            .map(ROption::into_option)
            .map_err(|reason| Error::from_message(reason.as_str()))
    }

    /// The pack's physical optimizer rule (the contract check); `None` for a
    /// pack that serves none (or predates pack ABI 1.3).
    pub fn ffi_physical_optimizer_rule(&self) -> Result<Option<FFI_PhysicalOptimizerRule>> {
        let Some(rule) = self.module.physical_optimizer_rule() else {
            return Ok(None);
        };
        rule()
            .into_result()
            .map(|handle| handle.into_option().map(|handle| handle.ffi))
            .map_err(|reason| self.export_error("physical_optimizer_rule", reason.as_str()))
    }

    /// Checks a pack config against this pack without installing anything:
    /// the catalog's name and factory format, `None` for a pack that serves no
    /// catalog, or the config's errors (all of them).
    pub fn check_config(&self, config: &str) -> Result<Option<(String, String)>> {
        let session: Arc<dyn datafusion::execution::TaskContextProvider> =
            Arc::new(datafusion::prelude::SessionContext::new());
        let handle = self.ffi_catalog(config, FFI_LogicalExtensionCodec::new_default(&session))?;
        Ok(handle.map(|h| (h.name.to_string(), h.factory_format.to_string())))
    }

    fn export_error(&self, name: &str, reason: &str) -> Error {
        Error::Abi(format!(
            "plugin '{}' ({}) could not construct '{name}': {reason}",
            self.path.display(),
            self.name()
        ))
    }
}

fn loaded_packs() -> &'static Mutex<HashMap<PathBuf, Arc<Pack>>> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<Pack>>>> = OnceLock::new();
    LOADED.get_or_init(Default::default)
}

/// A pack's manifest must be a valid `PluginManifest` payload (the schema
/// the manifest is generated from): a pack that says nothing sensible about
/// itself is refused before its versions are compared.
fn check_manifest(manifest: &PackManifest) -> std::result::Result<(), String> {
    let payload = PluginManifest::from(manifest.clone());
    let node = Node::of(&payload).map_err(|e| format!("its manifest is unreadable: {e}"))?;
    decode_node::<PluginManifest>(&node)
        .map(|_| ())
        .map_err(|problems| format!("its manifest breaks schemas/plugin_manifest.json: {problems}"))
}

fn describe_open_error(error: LibraryError) -> String {
    match error {
        LibraryError::OpenError { err, .. } => format!("not a loadable shared library ({err})"),
        other => other.to_string(),
    }
}

fn describe_header_error(error: LibraryError) -> String {
    match error {
        LibraryError::GetSymbolError { .. } => {
            "a shared library, but not a dfpack plugin: it exports no dfpack root module".to_string()
        }
        LibraryError::InvalidAbiHeader(header) => {
            format!("built with an abi_stable ABI this host cannot read ({header:?})")
        }
        LibraryError::IncompatibleVersionNumber { expected_version, actual_version, .. } => format!(
            "built for pack ABI {}.x, this host has pack ABI {}.x",
            actual_version.major, expected_version.major
        ),
        LibraryError::AbiInstability(detail) => format!(
            "its root module does not match this host's pack ABI {}: {detail}",
            PackModuleRef::VERSION_STRINGS
        ),
        other => other.to_string(),
    }
}

/// Where a host looks for the pack when none is named: `$DFPACK_PLUGIN`, else
/// `libdfpack.so` beside the running executable (or one level up, which is
/// where cargo puts it relative to test and example binaries).
pub fn default_pack_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("DFPACK_PLUGIN") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let file = format!("{}dfpack{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    exe.ancestors().skip(1).take(2).map(|dir| dir.join(&file)).find(|candidate| candidate.is_file())
}
