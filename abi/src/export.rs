//! The plugin side: serve a set of functions as the pack's root module.

use std::collections::{HashMap, HashSet};
use std::ffi::CStr;
use std::sync::{Arc, OnceLock};

use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::std_types::{ROption, RResult, RStr, RString};
use dfpack_common::catch_panic;
use datafusion::catalog::{CatalogProvider, TableFunctionImpl, TableProviderFactory};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion_ffi::catalog_provider::FFI_CatalogProvider;
use datafusion_ffi::physical_optimizer::FFI_PhysicalOptimizerRule;
use datafusion_ffi::table_provider_factory::FFI_TableProviderFactory;
use datafusion::logical_expr::{Documentation, ScalarUDF};
use datafusion_ffi::udf::FFI_ScalarUDF;
use datafusion_ffi::udtf::FFI_TableFunction;

use crate::guard::{GuardedCatalog, GuardedPhysicalRule, GuardedScalarUdf, GuardedTableFactory, GuardedTableFunction};
use crate::introspection::{FunctionInfo, PackFunctionsFunction, PackManifestFunction};
use crate::manifest::{BuildVersions, ExportEntry, ExportKind, PackManifest};
use crate::bound_kernel::FFI_BoundScalarKernel;
use crate::module::{
    BoundScalarKernelHandle, CallFieldsHandle, CatalogHandle, LogicalCodecHandle, PackModule, PackModuleRef,
    PhysicalOptimizerRuleHandle, ScalarKernelHandle, ScalarUdfHandle, TableFunctionHandle,
};
use crate::kernel::FFI_ScalarKernel;
use crate::lean::{lean_catalog, lean_factory, lean_table_function};
use crate::runtime;

/// A table function a pack exports, with the documentation that
/// `pack_functions()` shows (table functions have no `documentation()` of their own).
#[derive(Debug, Clone)]
pub struct TableFunctionExport {
    pub name: String,
    pub function: Arc<dyn TableFunctionImpl>,
    pub documentation: Documentation,
}

/// A catalog built from a pack config, with the factory that adds tables to it.
#[derive(Debug, Clone)]
pub struct ServedCatalog {
    pub name: String,
    pub catalog: Arc<dyn CatalogProvider>,
    /// The `STORED AS` name of `factory`.
    pub factory_format: String,
    pub factory: Arc<dyn TableProviderFactory>,
}

/// Builds the pack's catalog from config text (TOML or JSON; empty for defaults).
pub type CatalogHook = Arc<dyn Fn(&str) -> Result<ServedCatalog, String> + Send + Sync>;

/// What a pack exports. `serve` turns it into the root module.
pub struct PackExports {
    pack_name: String,
    pack_version: String,
    scalar_udfs: Vec<Arc<ScalarUDF>>,
    table_functions: Vec<TableFunctionExport>,
    catalog: Option<CatalogHook>,
    physical_optimizer_rule: Option<Arc<dyn PhysicalOptimizerRule + Send + Sync>>,
}

impl PackExports {
    pub fn new(pack_name: impl Into<String>, pack_version: impl Into<String>) -> Self {
        PackExports {
            pack_name: pack_name.into(),
            pack_version: pack_version.into(),
            scalar_udfs: Vec::new(),
            table_functions: Vec::new(),
            catalog: None,
            physical_optimizer_rule: None,
        }
    }

    /// Serves a physical optimizer rule: hosts add it to their sessions.
    pub fn with_physical_optimizer_rule(mut self, rule: Arc<dyn PhysicalOptimizerRule + Send + Sync>) -> Self {
        self.physical_optimizer_rule = Some(rule);
        self
    }

    /// Serves a catalog hook: hosts call it with their pack config.
    pub fn with_catalog(mut self, hook: CatalogHook) -> Self {
        self.catalog = Some(hook);
        self
    }

    pub fn with_scalar_udfs(mut self, udfs: impl IntoIterator<Item = Arc<ScalarUDF>>) -> Self {
        self.scalar_udfs.extend(udfs);
        self
    }

    pub fn with_table_functions(
        mut self,
        functions: impl IntoIterator<Item = TableFunctionExport>,
    ) -> Self {
        self.table_functions.extend(functions);
        self
    }

    /// Serves these exports (plus `pack_manifest()` and `pack_functions()`) as
    /// this image's root module. Call it once, from `#[export_root_module]`.
    pub fn serve(self) -> PackModuleRef {
        self.serve_with_manifest(manifest)
    }

    /// Like [`serve`](Self::serve), with another manifest function. Test packs
    /// use it to misreport their versions; real packs use `serve`.
    pub fn serve_with_manifest(
        self,
        manifest_fn: extern "C" fn() -> RResult<PackManifest, RString>,
    ) -> PackModuleRef {
        let _ = SERVED.set(Served::build(self));
        PackModule {
            manifest: manifest_fn,
            scalar_udf,
            table_function,
            catalog,
            scalar_kernel,
            bound_scalar_kernel,
            physical_optimizer_rule,
        }
            .leak_into_prefix()
    }
}

/// The exports of this image, once served. A failure (two exports with one
/// name) is kept and reported by every entry point, so the loader refuses the pack.
static SERVED: OnceLock<Result<Served, String>> = OnceLock::new();

struct Served {
    manifest: PackManifest,
    scalar_udfs: HashMap<String, Arc<ScalarUDF>>,
    table_functions: HashMap<String, Arc<dyn TableFunctionImpl>>,
    catalog: Option<CatalogHook>,
    physical_optimizer_rule: Option<Arc<dyn PhysicalOptimizerRule + Send + Sync>>,
}

impl Served {
    fn build(exports: PackExports) -> Result<Served, String> {
        let PackExports { pack_name, pack_version, scalar_udfs, mut table_functions, catalog, physical_optimizer_rule } =
            exports;

        let scalar_names = scalar_udfs.iter().flat_map(|udf| {
            std::iter::once(udf.name().to_string()).chain(udf.aliases().iter().cloned())
        });
        let table_names = table_functions
            .iter()
            .map(|export| export.name.clone())
            .chain([PackManifestFunction::NAME.to_string(), PackFunctionsFunction::NAME.to_string()]);
        let entries: Vec<ExportEntry> = scalar_names
            .map(|name| ExportEntry { name: name.into(), kind: ExportKind::ScalarUdf })
            .chain(table_names.map(|name| ExportEntry { name: name.into(), kind: ExportKind::TableFunction }))
            .collect();
        let mut seen = HashSet::new();
        if let Some(duplicate) = entries.iter().find(|entry| !seen.insert(entry.name.as_str())) {
            return Err(format!("the pack exports two functions named '{}'", duplicate.name));
        }

        let versions = BuildVersions::current();
        let manifest = PackManifest {
            pack_name: pack_name.into(),
            pack_version: pack_version.into(),
            abi_major: versions.abi_major,
            abi_minor: versions.abi_minor,
            ffi_major: versions.ffi_major,
            datafusion_version: versions.datafusion_version.into(),
            arrow_version: versions.arrow_version.into(),
            target: versions.target.into(),
            path: image_path().into(),
            exports: entries.into_iter().collect(),
        };

        // The introspection functions describe the whole pack, themselves included.
        table_functions.push(PackManifestFunction::export(manifest.clone()));
        let infos: Vec<FunctionInfo> = scalar_udfs
            .iter()
            .map(|udf| FunctionInfo::of_scalar(udf))
            .chain(table_functions.iter().map(FunctionInfo::of_table))
            .chain([FunctionInfo::of_table(&PackFunctionsFunction::export(Vec::new()))])
            .collect();
        table_functions.push(PackFunctionsFunction::export(infos));

        let mut by_name = HashMap::new();
        for udf in scalar_udfs {
            let guarded = Arc::new(GuardedScalarUdf::wrap(Arc::clone(&udf)));
            for name in std::iter::once(udf.name()).chain(udf.aliases().iter().map(String::as_str)) {
                by_name.insert(name.to_string(), Arc::clone(&guarded));
            }
        }
        let scalar_udfs = by_name;
        let table_functions = table_functions
            .into_iter()
            .map(|export| {
                let guarded: Arc<dyn TableFunctionImpl> =
                    Arc::new(GuardedTableFunction::new(export.name.clone(), export.function));
                (export.name, guarded)
            })
            .collect();
        let physical_optimizer_rule = physical_optimizer_rule.map(|rule| {
            Arc::new(GuardedPhysicalRule::new(rule)) as Arc<dyn PhysicalOptimizerRule + Send + Sync>
        });
        Ok(Served { manifest, scalar_udfs, table_functions, catalog, physical_optimizer_rule })
    }
}

fn served() -> Result<&'static Served, String> {
    match SERVED.get() {
        Some(Ok(served)) => Ok(served),
        Some(Err(reason)) => Err(reason.clone()),
        None => Err("the pack's exports were never served".to_string()),
    }
}

/// Runs an entry point behind the panic guard, flattening both failure paths into
/// the message the host will see.
fn entry_point<T>(context: &str, f: impl FnOnce() -> Result<T, String>) -> RResult<T, RString> {
    match catch_panic(context, f) {
        Ok(Ok(value)) => RResult::ROk(value),
        Ok(Err(message)) => RResult::RErr(message.into()),
        Err(panic) => RResult::RErr(panic.to_string().into()),
    }
}

/// The standard manifest entry point: what this image serves, as built.
pub extern "C" fn manifest() -> RResult<PackManifest, RString> {
    entry_point("manifest", || Ok(served()?.manifest.clone()))
}

/// Every (guarded) scalar function the pack exports, once each; none before it is served.
pub(crate) fn served_scalar_udfs() -> Vec<Arc<ScalarUDF>> {
    let Ok(served) = served() else { return Vec::new() };
    let mut seen = HashSet::new();
    served.scalar_udfs.values().filter(|udf| seen.insert(Arc::as_ptr(udf))).cloned().collect()
}

/// The (guarded) scalar function the pack exports under `name`.
fn served_scalar_udf(name: RStr<'_>) -> Result<Arc<ScalarUDF>, String> {
    let udfs = &served()?.scalar_udfs;
    udfs.get(name.as_str()).cloned().ok_or_else(|| format!("the pack exports no scalar function '{name}'"))
}

extern "C" fn scalar_udf(name: RStr<'_>) -> RResult<ScalarUdfHandle, RString> {
    entry_point("scalar_udf", || Ok(ScalarUdfHandle { ffi: FFI_ScalarUDF::from(served_scalar_udf(name)?) }))
}

extern "C" fn scalar_kernel(name: RStr<'_>) -> RResult<ScalarKernelHandle, RString> {
    entry_point("scalar_kernel", || Ok(ScalarKernelHandle { ffi: FFI_ScalarKernel::new(served_scalar_udf(name)?) }))
}

extern "C" fn bound_scalar_kernel(name: RStr<'_>, fields: CallFieldsHandle) -> RResult<BoundScalarKernelHandle, RString> {
    entry_point("bound_scalar_kernel", || {
        let CallFieldsHandle { arg_fields, return_field } = fields;
        let ffi = FFI_BoundScalarKernel::bind(served_scalar_udf(name)?, arg_fields, return_field)
            .map_err(|e| e.to_string())?;
        Ok(BoundScalarKernelHandle { ffi })
    })
}

extern "C" fn table_function(
    name: RStr<'_>,
    codec: LogicalCodecHandle,
) -> RResult<TableFunctionHandle, RString> {
    entry_point("table_function", || {
        let function = served()?
            .table_functions
            .get(name.as_str())
            .ok_or_else(|| format!("the pack exports no table function '{name}'"))?;
        let ffi = lean_table_function(FFI_TableFunction::new_with_ffi_codec(
            Arc::clone(function),
            runtime::handle(),
            codec.ffi,
        ));
        Ok(TableFunctionHandle { ffi })
    })
}

extern "C" fn catalog(config: RStr<'_>, codec: LogicalCodecHandle) -> RResult<ROption<CatalogHandle>, RString> {
    entry_point("catalog", || {
        let Some(hook) = served()?.catalog.as_ref() else {
            return Ok(ROption::RNone);
        };
        let served = hook(config.as_str())?;
        let catalog = Arc::new(GuardedCatalog::new(served.name.clone(), served.catalog));
        let factory = Arc::new(GuardedTableFactory::new(served.factory_format.clone(), served.factory));
        Ok(ROption::RSome(CatalogHandle {
            name: served.name.into(),
            catalog: lean_catalog(FFI_CatalogProvider::new_with_ffi_codec(catalog, runtime::handle(), codec.ffi.clone())),
            factory_format: served.factory_format.into(),
            factory: lean_factory(FFI_TableProviderFactory::new_with_ffi_codec(factory, runtime::handle(), codec.ffi)),
        }))
    })
}

extern "C" fn physical_optimizer_rule() -> RResult<ROption<PhysicalOptimizerRuleHandle>, RString> {
    entry_point("physical_optimizer_rule", || {
        let Some(rule) = served()?.physical_optimizer_rule.as_ref() else {
            return Ok(ROption::RNone);
        };
        // The pack's runtime: the plans the rule returns run the pack's nodes on it.
        Ok(ROption::RSome(PhysicalOptimizerRuleHandle {
            ffi: FFI_PhysicalOptimizerRule::new(Arc::clone(rule), runtime::handle()),
        }))
    })
}

/// The path of the image this code is linked into, as the dynamic loader sees it.
fn image_path() -> String {
    static ANCHOR: u8 = 0;
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only reads the loader's tables; the address is a static of this image.
    let found = unsafe { libc::dladdr(std::ptr::addr_of!(ANCHOR).cast(), &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return String::new();
    }
    // SAFETY: dli_fname is a NUL-terminated string owned by the dynamic loader.
    let path = unsafe { CStr::from_ptr(info.dli_fname) }.to_string_lossy().into_owned();
    std::fs::canonicalize(&path).map(|p| p.display().to_string()).unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::introspection::PackManifestFunction;

    fn exports() -> PackExports {
        PackExports::new("test_pack", "9.9.9").with_scalar_udfs(dfpack_udfs::scalar_functions())
    }

    #[test]
    fn the_manifest_lists_every_export_and_the_introspection_functions() {
        let served = Served::build(exports()).expect("valid exports");
        let exported = |kind| -> Vec<&str> {
            served.manifest.exports.iter().filter(|e| e.kind == kind).map(|e| e.name.as_str()).collect()
        };
        let udfs = dfpack_udfs::scalar_functions();
        let udf_names: Vec<&str> = udfs.iter().map(|udf| udf.name()).collect();
        assert_eq!(exported(ExportKind::ScalarUdf), udf_names);
        assert_eq!(exported(ExportKind::TableFunction), ["pack_manifest", "pack_functions"]);
        assert_eq!(served.manifest.pack_version.as_str(), "9.9.9");
        assert_eq!(served.manifest.ffi_major, datafusion_ffi::version());
        assert_eq!(served.scalar_udfs.len(), udfs.len());
        assert_eq!(served.table_functions.len(), 2);
    }

    #[test]
    fn two_exports_with_one_name_are_refused() {
        let clash = exports().with_table_functions([PackManifestFunction::export(PackManifest {
            exports: Default::default(),
            ..Served::build(exports()).expect("valid").manifest
        })]);
        let error = Served::build(clash).err().expect("pack_manifest is exported twice");
        assert_eq!(error, "the pack exports two functions named 'pack_manifest'");
    }
}
