//! `stable_id(prefix, value, ...)`: a readable, stable identifier
//! `'<prefix>:<stable_hash128 of the values>'`.

use arrow::datatypes::{DataType, FieldRef};
use datafusion_common::{Result, internal_err};
use datafusion_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

use super::rows::{Hex128, coerce_prefixed, invoke_prefixed, prefixed_return_field};

#[user_doc(
    doc_section(label = "Hashing Functions"),
    description = r#"Builds a stable identifier `'<prefix>:<hash>'` from a prefix and one or more values, where `<hash>` is `stable_hash128` of the values: 32 lowercase hexadecimal digits.

The prefix only labels the identifier (an entity kind such as `user` or `order`): it is not hashed, so `stable_id('a', x)` and `stable_id('b', x)` end with the same digits, and two identifiers are equal exactly when their prefixes and values are. The prefix must be a string (a dictionary of strings or an untyped NULL is accepted too); the values may be of any type but a union, and a NULL value hashes as a dedicated marker. The result is NULL exactly where the prefix is NULL."#,
    syntax_example = "stable_id(prefix, expression[, ..., expression_n])",
    sql_example = r#"```sql
> select stable_id('user', 42), stable_id('order', 42), stable_id(NULL, 42) IS NULL;
+---------------------------------------+----------------------------------------+-----------------------------------+
| stable_id(Utf8("user"),Int64(42))     | stable_id(Utf8("order"),Int64(42))     | stable_id(NULL,Int64(42)) IS NULL |
+---------------------------------------+----------------------------------------+-----------------------------------+
| user:3b86eb7cb0b91eee1df50b229572c359 | order:3b86eb7cb0b91eee1df50b229572c359 | true                              |
+---------------------------------------+----------------------------------------+-----------------------------------+
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
        description = "Further expressions; the hash covers all of them in order, exactly as `stable_hash128(expression, ..., expression_n)`."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct StableIdFunc {
    signature: Signature,
}

impl Default for StableIdFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl StableIdFunc {
    pub fn new() -> Self {
        Self {
            // User-defined so that `coerce_types` can require a string prefix
            // while the values stay of any type.
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for StableIdFunc {
    fn name(&self) -> &str {
        "stable_id"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_prefixed(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("stable_id: return_field_from_args should be called instead")
    }

    /// Checks the arguments here so a bad call fails at planning. The result
    /// is nullable only when the prefix is.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        prefixed_return_field(self.name(), args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        invoke_prefixed::<Hex128>(self.name(), &args.args, args.number_rows)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, ListArray, NullArray, StringArray};
    use arrow::datatypes::{DataType, Field, Int64Type};
    use datafusion_common::ScalarValue;
    use datafusion_expr::{ColumnarValue, ReturnFieldArgs, ScalarUDFImpl};
    use xxhash_rust::xxh3::xxh3_128;

    use super::StableIdFunc;
    use crate::hash::stable_hash128::StableHash128Func;
    use crate::hash::test_util::{
        TextGoldenVectors, assert_batch_splits_do_not_matter, assert_golden_vectors_as_arrays,
        assert_golden_vectors_as_scalars, assert_prefixed_rows_match, call_columns, call_scalars,
        random_prefixed_columns, result_values, text, utf8,
    };
    use crate::test_support::{invoke, invoke_unplanned};

    /// Golden vectors: the hex parts are the C reference's XXH3-128 of the
    /// documented layout (see the stable_hash128 golden vectors).
    fn golden_vectors() -> TextGoldenVectors {
        vec![
            (
                "('user', 42)",
                vec![utf8(Some("user")), ScalarValue::Int64(Some(42))],
                "user:3b86eb7cb0b91eee1df50b229572c359",
            ),
            (
                "('order', 42)",
                vec![utf8(Some("order")), ScalarValue::Int16(Some(42))],
                "order:3b86eb7cb0b91eee1df50b229572c359",
            ),
            (
                "('a', 'hello')",
                vec![utf8(Some("a")), utf8(Some("hello"))],
                "a:09883e13ee49e90df19b452684f6edfb",
            ),
            (
                "('', NULL)",
                vec![utf8(Some("")), ScalarValue::Null],
                ":a6cd5e9392000f6ac44bdff4074eecdb",
            ),
            (
                "('user', 1, 'a')",
                vec![
                    ScalarValue::Utf8View(Some("user".into())),
                    ScalarValue::Int64(Some(1)),
                    utf8(Some("a")),
                ],
                "user:9e72225dd9e9e3989219e29c60b8ad34",
            ),
            (
                "('日本', [1, NULL])",
                vec![
                    ScalarValue::LargeUtf8(Some("日本".into())),
                    ScalarValue::List(Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(
                        vec![Some(vec![Some(1), None])],
                    ))),
                ],
                "日本:a7058cece482cc2f00a4324276ea0a2d",
            ),
        ]
    }

    #[test]
    fn golden_vectors_as_scalars() {
        assert_golden_vectors_as_scalars(&StableIdFunc::new(), golden_vectors());
    }

    #[test]
    fn golden_vectors_as_arrays() {
        assert_golden_vectors_as_arrays(&StableIdFunc::new(), golden_vectors());
    }

    #[test]
    fn output_is_the_prefix_then_the_hex_of_the_documented_layout() {
        // 42: 0x02, then 42 as an i128.
        let mut bytes = vec![0x02];
        bytes.extend_from_slice(&42i128.to_le_bytes());
        let expected = format!("user:{:032x}", xxh3_128(&bytes));
        let result = call_scalars(
            &StableIdFunc::new(),
            &[utf8(Some("user")), ScalarValue::Int8(Some(42))],
        );
        assert_eq!(text(&result), Some(expected.as_str()));
    }

    #[test]
    fn the_prefix_is_not_hashed() {
        let values: ArrayRef = Arc::new(StringArray::from(vec![Some("x"), None, Some("")]));
        let with = |prefix: &str| {
            let args = vec![
                ColumnarValue::Scalar(utf8(Some(prefix))),
                ColumnarValue::Array(Arc::clone(&values)),
            ];
            result_values(invoke(&StableIdFunc::new(), args, 3).unwrap(), 3)
        };
        let (a, b) = (with("a"), with("b"));
        for row in 0..3 {
            let a = text(&a[row]).unwrap();
            let b = text(&b[row]).unwrap();
            assert_eq!(a.strip_prefix("a:"), b.strip_prefix("b:"), "row {row}");
        }
        assert_eq!(text(&a[1]), Some("a:a6cd5e9392000f6ac44bdff4074eecdb"));
    }

    #[test]
    fn rows_are_the_prefix_and_stable_hash128() {
        assert_prefixed_rows_match(&StableIdFunc::new(), &StableHash128Func::new(), 0x1D);
    }

    #[test]
    fn a_null_prefix_gives_null() {
        let udf = StableIdFunc::new();
        for prefix in [ScalarValue::Null, utf8(None), ScalarValue::Utf8View(None)] {
            let result = call_scalars(&udf, &[prefix.clone(), ScalarValue::Int64(Some(1))]);
            assert_eq!(result, utf8(None), "{prefix:?}");
        }
        // A NULL value does not make the result NULL.
        let result = call_scalars(&udf, &[utf8(Some("p")), ScalarValue::Null]);
        assert_eq!(text(&result), Some("p:a6cd5e9392000f6ac44bdff4074eecdb"));

        let values: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), None, Some(3)]));
        for prefixes in [
            Arc::new(NullArray::new(3)) as ArrayRef,
            Arc::new(StringArray::from(vec![None::<&str>; 3])),
        ] {
            let results = call_columns(&udf, &[prefixes, Arc::clone(&values)]);
            assert_eq!(results, vec![utf8(None); 3]);
        }
        let prefixes: ArrayRef = Arc::new(StringArray::from(vec![Some("p"), None, Some("q")]));
        let results = call_columns(&udf, &[prefixes, values]);
        assert_eq!(results[1], utf8(None));
        assert!(text(&results[0]).unwrap().starts_with("p:"));
        assert!(text(&results[2]).unwrap().starts_with("q:"));
    }

    #[test]
    fn result_is_nullable_only_with_a_nullable_prefix() {
        let field = |data_type: DataType, nullable: bool| {
            let fields = [
                Arc::new(Field::new("p", data_type, nullable)),
                Arc::new(Field::new("v", DataType::Int64, true)),
            ];
            StableIdFunc::new()
                .return_field_from_args(ReturnFieldArgs {
                    arg_fields: &fields,
                    scalar_arguments: &[None, None],
                })
                .unwrap()
        };
        assert!(!field(DataType::Utf8, false).is_nullable());
        assert!(field(DataType::Utf8View, true).is_nullable());
        assert!(field(DataType::Null, false).is_nullable());
        assert_eq!(
            field(DataType::LargeUtf8, false).data_type(),
            &DataType::Utf8
        );
    }

    #[test]
    fn batch_splits_do_not_matter() {
        assert_batch_splits_do_not_matter(
            &StableIdFunc::new(),
            0x5EED_001D,
            random_prefixed_columns,
        );
    }

    #[test]
    fn a_prefix_that_is_not_a_string_is_an_error() {
        let udf = StableIdFunc::new();
        let error = udf
            .coerce_types(&[DataType::Int64, DataType::Utf8])
            .unwrap_err();
        assert!(
            error.to_string().contains(
                "stable_id: the prefix must be a string (Utf8, LargeUtf8 or Utf8View), got Int64"
            ),
            "{error}"
        );
        let fields = [
            Arc::new(Field::new("p", DataType::Binary, true)),
            Arc::new(Field::new("v", DataType::Utf8, true)),
        ];
        let error = udf
            .return_field_from_args(ReturnFieldArgs {
                arg_fields: &fields,
                scalar_arguments: &[None, None],
            })
            .unwrap_err();
        assert!(error.to_string().contains("got Binary"), "{error}");

        let prefixes: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        let args = vec![
            ColumnarValue::Array(prefixes),
            ColumnarValue::Scalar(utf8(Some("x"))),
        ];
        let error = invoke_unplanned(&udf, args, 1, DataType::Utf8).unwrap_err();
        assert!(error.to_string().contains("got Int64"), "{error}");
    }

    #[test]
    fn too_few_arguments_is_an_error() {
        let udf = StableIdFunc::new();
        for arg_types in [vec![], vec![DataType::Utf8]] {
            let error = udf.coerce_types(&arg_types).unwrap_err();
            assert!(
                error
                    .to_string()
                    .contains("stable_id requires a prefix and at least one value to hash"),
                "{error}"
            );
        }
        assert!(invoke(&udf, vec![], 1).is_err());
        let error = invoke(&udf, vec![ColumnarValue::Scalar(utf8(Some("p")))], 1).unwrap_err();
        assert!(error.to_string().contains("at least one value"), "{error}");
    }
}
