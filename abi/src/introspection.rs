//! The pack's own introspection: `pack_manifest()` and `pack_functions()`.
//!
//! DataFusion's FFI drops a UDF's `documentation()` at the boundary, so these
//! table functions are where users of every host find what the pack serves
//! and how to call it.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::logical_expr::{DocSection, Documentation, ScalarUDF, TypeSignature};
use datafusion::common::plan_err;

use crate::export::TableFunctionExport;
use crate::manifest::PackManifest;

const DOC_SECTION: DocSection = DocSection {
    include: true,
    label: "dfpack introspection",
    description: Some("What the loaded dfpack pack is and serves"),
};

/// One row of `pack_functions()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionInfo {
    pub name: String,
    pub kind: &'static str,
    pub signature: String,
    pub description: String,
    pub syntax: String,
    pub example: String,
}

impl FunctionInfo {
    pub fn of_scalar(udf: &ScalarUDF) -> Self {
        let documentation = udf.documentation();
        // A user-defined signature says nothing about the arguments; the
        // documented argument names do.
        let arguments = match (&udf.signature().type_signature, documentation) {
            (TypeSignature::UserDefined, Some(docs)) => argument_names(docs),
            (type_signature, _) => type_signature.to_string_repr().join(" | "),
        };
        FunctionInfo {
            name: udf.name().to_string(),
            kind: "scalar",
            signature: format!("{}({arguments})", udf.name()),
            description: documentation.map(|d| d.description.clone()).unwrap_or_default(),
            syntax: documentation.map(|d| d.syntax_example.clone()).unwrap_or_default(),
            example: documentation.and_then(|d| d.sql_example.clone()).unwrap_or_default(),
        }
    }

    pub fn of_table(export: &TableFunctionExport) -> Self {
        let documentation = &export.documentation;
        let arguments = argument_names(documentation);
        FunctionInfo {
            name: export.name.clone(),
            kind: "table",
            signature: format!("{}({arguments})", export.name),
            description: documentation.description.clone(),
            syntax: documentation.syntax_example.clone(),
            example: documentation.sql_example.clone().unwrap_or_default(),
        }
    }
}

fn argument_names(documentation: &Documentation) -> String {
    let names: Vec<&str> = documentation.arguments.iter().flatten().map(|(name, _)| name.as_str()).collect();
    names.join(", ")
}

fn utf8_table(columns: &[&str], rows: Vec<Vec<String>>) -> Result<Arc<dyn TableProvider>> {
    let schema: SchemaRef = Arc::new(Schema::new(
        columns.iter().map(|name| Field::new(*name, DataType::Utf8, false)).collect::<Vec<_>>(),
    ));
    let arrays: Vec<ArrayRef> = (0..columns.len())
        .map(|i| Arc::new(rows.iter().map(|row| Some(row[i].as_str())).collect::<StringArray>()) as ArrayRef)
        .collect();
    let batch = RecordBatch::try_new(Arc::clone(&schema), arrays)?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
}

fn no_arguments(name: &str, args: &TableFunctionArgs) -> Result<()> {
    if args.exprs().is_empty() {
        Ok(())
    } else {
        plan_err!("{name}() takes no arguments, got {}", args.exprs().len())
    }
}

/// `pack_manifest()`: one row describing the loaded pack.
#[derive(Debug)]
pub struct PackManifestFunction {
    manifest: PackManifest,
}

impl PackManifestFunction {
    pub const NAME: &'static str = "pack_manifest";
    const COLUMNS: [&'static str; 7] =
        ["name", "version", "abi", "datafusion_version", "ffi_version", "target", "path"];

    pub fn export(manifest: PackManifest) -> TableFunctionExport {
        TableFunctionExport {
            name: Self::NAME.to_string(),
            function: Arc::new(PackManifestFunction { manifest }),
            documentation: Documentation::builder(
                DOC_SECTION,
                "The loaded pack's manifest, one row: name, version, pack ABI, the datafusion \
                 and datafusion-ffi versions it was built with, its target triple and the \
                 file it was loaded from.",
                "pack_manifest()",
            )
            .with_sql_example("SELECT name, version, abi FROM pack_manifest();")
            .build(),
        }
    }
}

impl TableFunctionImpl for PackManifestFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        no_arguments(Self::NAME, &args)?;
        let m = &self.manifest;
        let row = vec![
            m.pack_name.to_string(),
            m.pack_version.to_string(),
            format!("{}.{}", m.abi_major, m.abi_minor),
            m.datafusion_version.to_string(),
            m.ffi_major.to_string(),
            m.target.to_string(),
            m.path.to_string(),
        ];
        utf8_table(&Self::COLUMNS, vec![row])
    }
}

/// `pack_functions()`: one row per function the pack exports, with its docs.
#[derive(Debug)]
pub struct PackFunctionsFunction {
    functions: Vec<FunctionInfo>,
}

impl PackFunctionsFunction {
    pub const NAME: &'static str = "pack_functions";
    const COLUMNS: [&'static str; 6] = ["name", "kind", "signature", "description", "syntax", "example"];

    pub fn export(functions: Vec<FunctionInfo>) -> TableFunctionExport {
        TableFunctionExport {
            name: Self::NAME.to_string(),
            function: Arc::new(PackFunctionsFunction { functions }),
            documentation: Documentation::builder(
                DOC_SECTION,
                "Every function the loaded pack exports, one row each: name, kind (scalar or \
                 table), signature, description, syntax and an example. This is where a \
                 function's documentation is found in any host: DataFusion's FFI does not \
                 carry it.",
                "pack_functions()",
            )
            .with_sql_example("SELECT name, kind, syntax FROM pack_functions() ORDER BY name;")
            .build(),
        }
    }
}

impl TableFunctionImpl for PackFunctionsFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        no_arguments(Self::NAME, &args)?;
        let mut rows: Vec<Vec<String>> = self
            .functions
            .iter()
            .map(|f| {
                vec![
                    f.name.clone(),
                    f.kind.to_string(),
                    f.signature.clone(),
                    f.description.clone(),
                    f.syntax.clone(),
                    f.example.clone(),
                ]
            })
            .collect();
        rows.sort();
        utf8_table(&Self::COLUMNS, rows)
    }
}
