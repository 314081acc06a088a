//! `prefixed_hash64(prefix, value, ...)`: `'<prefix>:<stable_hash64 of the
//! values>'`, a short readable key.

use arrow::datatypes::{DataType, FieldRef};
use datafusion_common::{Result, internal_err};
use datafusion_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

use super::rows::{Decimal64, coerce_prefixed, invoke_prefixed, prefixed_return_field};

#[user_doc(
    doc_section(label = "Hashing Functions"),
    description = r#"Builds the key `'<prefix>:<hash>'` from a prefix and one or more values, where `<hash>` is `stable_hash64` of the values in decimal (a non-negative 64-bit integer, without leading zeros).

The prefix only labels the key: it is not hashed, so `prefixed_hash64('a', x)` and `prefixed_hash64('b', x)` end with the same number, `stable_hash64(x)`. The prefix must be a string (a dictionary of strings or an untyped NULL is accepted too); the values may be of any type but a union, and a NULL value hashes as a dedicated marker. The result is NULL exactly where the prefix is NULL. Prefer `stable_id` where keys must not collide across billions of values: 63 bits make a collision likely beyond a few billion."#,
    syntax_example = "prefixed_hash64(prefix, expression[, ..., expression_n])",
    sql_example = r#"```sql
> select prefixed_hash64('user', 'hello'), prefixed_hash64('user', 1, 'a'), prefixed_hash64(NULL, 'hello') IS NULL;
+---------------------------------------------+--------------------------------------------------+---------------------------------------------+
| prefixed_hash64(Utf8("user"),Utf8("hello")) | prefixed_hash64(Utf8("user"),Int64(1),Utf8("a")) | prefixed_hash64(NULL,Utf8("hello")) IS NULL |
+---------------------------------------------+--------------------------------------------------+---------------------------------------------+
| user:4410968288181109294                    | user:7334463176092945360                         | true                                        |
+---------------------------------------------+--------------------------------------------------+---------------------------------------------+
```"#,
    argument(
        name = "prefix",
        description = "String expression written before the `:`. Not part of the hash. NULL gives NULL."
    ),
    argument(
        name = "expression",
        description = "Expression to hash: a constant, column or function of any type but a union. NULL is allowed."
    ),
    argument(
        name = "expression_n",
        description = "Further expressions; the hash covers all of them in order, exactly as `stable_hash64(expression, ..., expression_n)`."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PrefixedHash64Func {
    signature: Signature,
}

impl Default for PrefixedHash64Func {
    fn default() -> Self {
        Self::new()
    }
}

impl PrefixedHash64Func {
    pub fn new() -> Self {
        Self {
            // User-defined so that `coerce_types` can require a string prefix
            // while the values stay of any type.
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PrefixedHash64Func {
    fn name(&self) -> &str {
        "prefixed_hash64"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_prefixed(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("prefixed_hash64: return_field_from_args should be called instead")
    }

    /// Checks the arguments here so a bad call fails at planning. The result
    /// is nullable only when the prefix is.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        prefixed_return_field(self.name(), args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        invoke_prefixed::<Decimal64>(self.name(), &args.args, args.number_rows)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, StringArray, StringViewArray};
    use arrow::datatypes::{DataType, Field};
    use datafusion_common::ScalarValue;
    use datafusion_expr::{ColumnarValue, ReturnFieldArgs, ScalarUDFImpl};
    use xxhash_rust::xxh3::xxh3_64;

    use super::PrefixedHash64Func;
    use crate::hash::stable_hash64::StableHash64Func;
    use crate::hash::test_util::{
        TextGoldenVectors, assert_batch_splits_do_not_matter, assert_golden_vectors_as_arrays,
        assert_golden_vectors_as_scalars, assert_prefixed_rows_match, call_columns, call_scalars,
        random_prefixed_columns, result_values, text, utf8,
    };
    use crate::test_support::invoke;

    /// Golden vectors: the numbers are stable_hash64 golden vectors (the C
    /// reference's XXH3-64 of the documented layout, sign bit cleared).
    fn golden_vectors() -> TextGoldenVectors {
        vec![
            (
                "('user', 'hello')",
                vec![utf8(Some("user")), utf8(Some("hello"))],
                "user:4410968288181109294",
            ),
            (
                "('user', 1, 'a')",
                vec![
                    utf8(Some("user")),
                    ScalarValue::Int64(Some(1)),
                    utf8(Some("a")),
                ],
                "user:7334463176092945360",
            ),
            (
                "('', NULL)",
                vec![utf8(Some("")), ScalarValue::Null],
                ":4921273257020026075",
            ),
            (
                "('k', 42) with a LargeUtf8 prefix",
                vec![
                    ScalarValue::LargeUtf8(Some("k".into())),
                    ScalarValue::UInt64(Some(42)),
                ],
                "k:3088640632381060825",
            ),
            (
                "('日本', 12:34:56)",
                vec![
                    ScalarValue::Utf8View(Some("日本".into())),
                    ScalarValue::Time32Second(Some(45_296)),
                ],
                "日本:1437612178551012942",
            ),
        ]
    }

    #[test]
    fn golden_vectors_as_scalars() {
        assert_golden_vectors_as_scalars(&PrefixedHash64Func::new(), golden_vectors());
    }

    #[test]
    fn golden_vectors_as_arrays() {
        assert_golden_vectors_as_arrays(&PrefixedHash64Func::new(), golden_vectors());
    }

    #[test]
    fn output_is_the_prefix_then_the_decimal_of_the_documented_layout() {
        // true: 0x01 0x01.
        let hash = xxh3_64(&[0x01, 0x01]) & 0x7FFF_FFFF_FFFF_FFFF;
        let expected = format!("b:{hash}");
        let result = call_scalars(
            &PrefixedHash64Func::new(),
            &[utf8(Some("b")), ScalarValue::Boolean(Some(true))],
        );
        assert_eq!(text(&result), Some(expected.as_str()));
        assert_eq!(expected, "b:508203992382727667");
    }

    #[test]
    fn the_prefix_is_not_hashed() {
        let values: ArrayRef = Arc::new(Int64Array::from(vec![Some(7), None]));
        let with = |prefix: &str| {
            let args = vec![
                ColumnarValue::Scalar(utf8(Some(prefix))),
                ColumnarValue::Array(Arc::clone(&values)),
            ];
            result_values(invoke(&PrefixedHash64Func::new(), args, 2).unwrap(), 2)
        };
        let (a, b) = (with("a"), with("bb"));
        for row in 0..2 {
            let a = text(&a[row]).unwrap();
            let b = text(&b[row]).unwrap();
            assert_eq!(a.strip_prefix("a:"), b.strip_prefix("bb:"), "row {row}");
        }
        assert_eq!(text(&b[1]), Some("bb:4921273257020026075"));
    }

    #[test]
    fn rows_are_the_prefix_and_stable_hash64() {
        assert_prefixed_rows_match(&PrefixedHash64Func::new(), &StableHash64Func::new(), 0x64);
    }

    #[test]
    fn a_null_prefix_gives_null() {
        let udf = PrefixedHash64Func::new();
        for prefix in [ScalarValue::Null, utf8(None), ScalarValue::LargeUtf8(None)] {
            let result = call_scalars(&udf, &[prefix.clone(), utf8(Some("x"))]);
            assert_eq!(result, utf8(None), "{prefix:?}");
        }
        let prefixes: ArrayRef = Arc::new(StringViewArray::from(vec![None, Some("p")]));
        let values: ArrayRef = Arc::new(StringArray::from(vec![Some("x"), None]));
        let results = call_columns(&udf, &[prefixes, values]);
        assert_eq!(
            results,
            vec![utf8(None), utf8(Some("p:4921273257020026075"))]
        );
    }

    #[test]
    fn batch_splits_do_not_matter() {
        assert_batch_splits_do_not_matter(
            &PrefixedHash64Func::new(),
            0x5EED_0064,
            random_prefixed_columns,
        );
    }

    #[test]
    fn a_prefix_that_is_not_a_string_is_an_error() {
        let error = PrefixedHash64Func::new()
            .coerce_types(&[DataType::Float64, DataType::Utf8])
            .unwrap_err();
        assert!(
            error.to_string().contains(
                "prefixed_hash64: the prefix must be a string (Utf8, LargeUtf8 or Utf8View), got Float64"
            ),
            "{error}"
        );
        let args = vec![
            ColumnarValue::Scalar(ScalarValue::Int64(Some(1))),
            ColumnarValue::Scalar(utf8(Some("x"))),
        ];
        let error = invoke(&PrefixedHash64Func::new(), args, 1).unwrap_err();
        assert!(error.to_string().contains("got Int64"), "{error}");
    }

    #[test]
    fn too_few_arguments_is_an_error() {
        let udf = PrefixedHash64Func::new();
        let error = udf.coerce_types(&[]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("prefixed_hash64 requires a prefix and at least one value to hash"),
            "{error}"
        );
        let fields = [Arc::new(Field::new("p", DataType::Utf8, true))];
        let error = udf
            .return_field_from_args(ReturnFieldArgs {
                arg_fields: &fields,
                scalar_arguments: &[None],
            })
            .unwrap_err();
        assert!(error.to_string().contains("at least one value"), "{error}");
    }
}
