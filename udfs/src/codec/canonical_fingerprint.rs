//! `canonical_fingerprint(value)`: the BLAKE3-256 of a value's canonical
//! MessagePack form, as lowercase hex. The digest is
//! [`dfpack_common::canonical`]'s, the one every fingerprint in the pack uses.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StringBuilder};
use arrow::datatypes::{DataType, FieldRef};
use datafusion_common::utils::take_function_args;
use datafusion_common::{Result, internal_err};
use datafusion_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;
use dfpack_common::canonical::{FINGERPRINT_HEX_LEN, fingerprint_hex, push_fingerprint_hex};

use super::args::{canonical_return_field, check_offset, unary};
use super::canonical::CanonicalEncoder;

#[user_doc(
    doc_section(label = "MessagePack Functions"),
    description = r#"Computes the fingerprint of a value: the BLAKE3-256 hash of its canonical MessagePack form (the bytes `msgpack_encode` returns), as 64 lowercase hex characters.

Like the canonical form, the fingerprint depends only on the logical value: the same number as TINYINT or BIGINT, the same string as Utf8, LargeUtf8, Utf8View or dictionary encoded, a List or a LargeList, a struct whatever the order of its fields all fingerprint alike, on every host and in every release, so fingerprints can be stored and compared (cache keys, change detection, deduplication of nested values). NULL (of any type) is fingerprinted as MessagePack nil (`c0`), so the result is never NULL, and differs from the fingerprint of every non-null value. Union values are rejected."#,
    syntax_example = "canonical_fingerprint(expression)",
    sql_example = r#"```sql
> select canonical_fingerprint(1), canonical_fingerprint(NULL);
+------------------------------------------------------------------+------------------------------------------------------------------+
| canonical_fingerprint(Int64(1))                                  | canonical_fingerprint(NULL)                                      |
+------------------------------------------------------------------+------------------------------------------------------------------+
| 48fc721fbbc172e0925fa27af1671de225ba927134802998b10a1568a188652b | af2edc674154ff129d9e826727ada0828d3ba480924bbed84bf6dcae2e1f1db2 |
+------------------------------------------------------------------+------------------------------------------------------------------+
> select canonical_fingerprint(arrow_cast(1, 'Int8')) = canonical_fingerprint(1) as same_integer, canonical_fingerprint(named_struct('a', 1, 'b', 'x')) = canonical_fingerprint(named_struct('b', 'x', 'a', 1)) as same_struct;
+--------------+-------------+
| same_integer | same_struct |
+--------------+-------------+
| true         | true        |
+--------------+-------------+
```"#,
    argument(
        name = "expression",
        description = "The value to fingerprint: a constant, column or function of any type but a union. NULL is allowed."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CanonicalFingerprintFunc {
    signature: Signature,
}

impl Default for CanonicalFingerprintFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl CanonicalFingerprintFunc {
    pub fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

const NAME: &str = "canonical_fingerprint";

impl ScalarUDFImpl for CanonicalFingerprintFunc {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("{NAME}: return_field_from_args should be called instead")
    }

    /// Rejects a type without a canonical form while planning, and declares
    /// the result non-nullable: NULL has a fingerprint too.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        canonical_return_field(NAME, args.arg_fields, DataType::Utf8, false)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = take_function_args(NAME, &args.args)?;
        unary(arg, fingerprint_column)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

fn fingerprint_column(array: &dyn Array) -> Result<ArrayRef> {
    let encoder = CanonicalEncoder::try_new(NAME, array)?;
    let rows = array.len();
    check_offset(NAME, rows.saturating_mul(FINGERPRINT_HEX_LEN), 0)?;
    let mut builder = StringBuilder::with_capacity(rows, rows * FINGERPRINT_HEX_LEN);
    // One buffer each for the whole batch: cleared, never reallocated once
    // grown to the longest row.
    let mut encoded = Vec::new();
    let mut hex = String::with_capacity(FINGERPRINT_HEX_LEN);
    for row in 0..rows {
        encoded.clear();
        encoder.append(row, &mut encoded)?;
        hex.clear();
        push_fingerprint_hex(&mut hex, &encoded);
        builder.append_value(&hex);
    }
    Ok(Arc::new(builder.finish()))
}

/// The fingerprint of one row of `array`: what `canonical_fingerprint` returns for it.
pub fn fingerprint_row(array: &dyn Array, row: usize) -> Result<String> {
    let mut encoded = Vec::new();
    CanonicalEncoder::try_new(NAME, array)?.append(row, &mut encoded)?;
    Ok(fingerprint_hex(&encoded))
}
