//! Where the pack's table providers come from: its catalog's schemas, its
//! table provider factory and its table functions. Each hands out lean providers.
//!
//! Every `lean_*` function takes a handle datafusion-ffi made in this image,
//! keeps datafusion-ffi's functions for that kind of handle (all handles of one
//! kind carry the same ones), and replaces those that hand out providers.

use std::sync::OnceLock;

use async_ffi::{FfiFuture, FutureExt};
use datafusion_ffi::catalog_provider::FFI_CatalogProvider;
use datafusion_ffi::schema_provider::FFI_SchemaProvider;
use datafusion_ffi::table_provider::FFI_TableProvider;
use datafusion_ffi::table_provider_factory::FFI_TableProviderFactory;
use datafusion_ffi::udtf::FFI_TableFunction;
use datafusion_ffi::util::{FFI_Option, FFI_Result};
use stabby::string::String as SString;
use stabby::vec::Vec as SVec;

use super::layout::{
    CallFn, CallWithArgsFn, CreateFn, FactoryCloneFn, FunctionCloneFn, SessionRef, TableFunctionLayout,
    TableProviderFactoryLayout,
};
use super::{kept, provider};

type SchemaFn = unsafe extern "C" fn(&FFI_CatalogProvider, SString) -> FFI_Option<FFI_SchemaProvider>;
type CatalogCloneFn = unsafe extern "C" fn(&FFI_CatalogProvider) -> FFI_CatalogProvider;
type TableFn = unsafe extern "C" fn(&FFI_SchemaProvider, SString) -> FfiFuture<FFI_Result<FFI_Option<FFI_TableProvider>>>;
type SchemaCloneFn = unsafe extern "C" fn(&FFI_SchemaProvider) -> FFI_SchemaProvider;

static CATALOG: OnceLock<(SchemaFn, CatalogCloneFn)> = OnceLock::new();
static SCHEMA: OnceLock<(TableFn, SchemaCloneFn)> = OnceLock::new();
static FACTORY: OnceLock<(CreateFn, FactoryCloneFn)> = OnceLock::new();
static FUNCTION: OnceLock<(CallFn, CallWithArgsFn, FunctionCloneFn)> = OnceLock::new();

/// Serves `catalog` so that its schemas hand out lean providers.
pub fn lean_catalog(mut catalog: FFI_CatalogProvider) -> FFI_CatalogProvider {
    if std::ptr::fn_addr_eq(catalog.schema, schema as SchemaFn) {
        return catalog;
    }
    CATALOG.get_or_init(|| (catalog.schema, catalog.clone));
    catalog.schema = schema;
    catalog.clone = catalog_clone;
    catalog
}

unsafe extern "C" fn schema(catalog: &FFI_CatalogProvider, name: SString) -> FFI_Option<FFI_SchemaProvider> {
    // SAFETY: datafusion-ffi's own function for its own catalog.
    unsafe { (kept(&CATALOG).0)(catalog, name) }.map(lean_schema)
}

unsafe extern "C" fn catalog_clone(catalog: &FFI_CatalogProvider) -> FFI_CatalogProvider {
    // SAFETY: datafusion-ffi's own function for its own catalog.
    lean_catalog(unsafe { (kept(&CATALOG).1)(catalog) })
}

fn lean_schema(mut schema: FFI_SchemaProvider) -> FFI_SchemaProvider {
    if std::ptr::fn_addr_eq(schema.table, table as TableFn) {
        return schema;
    }
    SCHEMA.get_or_init(|| (schema.table, schema.clone));
    schema.table = table;
    schema.clone = schema_clone;
    schema
}

unsafe extern "C" fn table(
    schema: &FFI_SchemaProvider,
    name: SString,
) -> FfiFuture<FFI_Result<FFI_Option<FFI_TableProvider>>> {
    // SAFETY: datafusion-ffi's own function for its own schema.
    let found = unsafe { (kept(&SCHEMA).0)(schema, name) };
    async move { found.await.map(|table| table.map(provider::lean)) }.into_ffi()
}

unsafe extern "C" fn schema_clone(schema: &FFI_SchemaProvider) -> FFI_SchemaProvider {
    // SAFETY: datafusion-ffi's own function for its own schema.
    lean_schema(unsafe { (kept(&SCHEMA).1)(schema) })
}

/// Serves `factory` so that the tables it creates are lean providers.
pub fn lean_factory(mut factory: FFI_TableProviderFactory) -> FFI_TableProviderFactory {
    let layout = TableProviderFactoryLayout::of(&mut factory);
    if std::ptr::fn_addr_eq(layout.create, create as CreateFn) {
        return factory;
    }
    FACTORY.get_or_init(|| (layout.create, layout.clone));
    layout.create = create;
    layout.clone = factory_clone;
    factory
}

unsafe extern "C" fn create(
    factory: &FFI_TableProviderFactory,
    session: SessionRef,
    cmd_serialized: SVec<u8>,
) -> FfiFuture<FFI_Result<FFI_TableProvider>> {
    // SAFETY: datafusion-ffi's own function for its own factory (a DDL statement:
    // the full session it builds is paid once per table, not per query).
    let created = unsafe { (kept(&FACTORY).0)(factory, session, cmd_serialized) };
    async move { created.await.map(provider::lean) }.into_ffi()
}

unsafe extern "C" fn factory_clone(factory: &FFI_TableProviderFactory) -> FFI_TableProviderFactory {
    // SAFETY: datafusion-ffi's own function for its own factory.
    lean_factory(unsafe { (kept(&FACTORY).1)(factory) })
}

/// Serves `function` so that the tables it returns are lean providers.
pub fn lean_table_function(mut function: FFI_TableFunction) -> FFI_TableFunction {
    let layout = TableFunctionLayout::of(&mut function);
    if std::ptr::fn_addr_eq(layout.call_with_args, call_with_args as CallWithArgsFn) {
        return function;
    }
    FUNCTION.get_or_init(|| (layout.call, layout.call_with_args, layout.clone));
    layout.call = call;
    layout.call_with_args = call_with_args;
    layout.clone = function_clone;
    function
}

unsafe extern "C" fn call(function: &FFI_TableFunction, args: SVec<u8>) -> FFI_Result<FFI_TableProvider> {
    // SAFETY: datafusion-ffi's own function for its own table function.
    unsafe { (kept(&FUNCTION).0)(function, args) }.map(provider::lean)
}

unsafe extern "C" fn call_with_args(
    function: &FFI_TableFunction,
    args: SVec<u8>,
    session: SessionRef,
) -> FFI_Result<FFI_TableProvider> {
    // SAFETY: datafusion-ffi's own function for its own table function.
    unsafe { (kept(&FUNCTION).1)(function, args, session) }.map(provider::lean)
}

unsafe extern "C" fn function_clone(function: &FFI_TableFunction) -> FFI_TableFunction {
    // SAFETY: datafusion-ffi's own function for its own table function.
    lean_table_function(unsafe { (kept(&FUNCTION).2)(function) })
}
