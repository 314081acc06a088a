//! `stable_hash128(value, ...)`: the 128-bit sibling of `stable_hash64`, as
//! hexadecimal text.

use arrow::datatypes::{DataType, FieldRef};
use datafusion_common::{Result, internal_err};
use datafusion_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

use super::rows::{Hex128, ensure_hash_arguments, hash_return_field, invoke_text_hash};

#[user_doc(
    doc_section(label = "Hashing Functions"),
    description = r#"Computes a stable 128-bit hash of one or more values, as 32 lowercase hexadecimal digits.

The hash is the 128-bit XXH3 (seed 0) of the same canonical encoding of the arguments as `stable_hash64`, written most significant digit first. Like `stable_hash64` it depends only on the logical values, never on their physical representation, batch, machine or release, so it can be stored; its 128 bits make accidental collisions negligible even across billions of rows, which suits identifiers (see `stable_id`). NULL is hashed as a dedicated marker, so the result is never NULL. Every type is supported except unions."#,
    syntax_example = "stable_hash128(expression[, ..., expression_n])",
    sql_example = r#"```sql
> select stable_hash128('hello'), stable_hash128(NULL), stable_hash128(1, 'a');
+----------------------------------+----------------------------------+------------------------------------+
| stable_hash128(Utf8("hello"))    | stable_hash128(NULL)             | stable_hash128(Int64(1),Utf8("a")) |
+----------------------------------+----------------------------------+------------------------------------+
| 09883e13ee49e90df19b452684f6edfb | a6cd5e9392000f6ac44bdff4074eecdb | 9e72225dd9e9e3989219e29c60b8ad34   |
+----------------------------------+----------------------------------+------------------------------------+
```"#,
    argument(
        name = "expression",
        description = "Expression to hash: a constant, column or function of any type but a union. NULL is allowed."
    ),
    argument(
        name = "expression_n",
        description = "Further expressions; the hash covers all arguments in order, so `stable_hash128(a, b)` differs from `stable_hash128(b, a)`."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct StableHash128Func {
    signature: Signature,
}

impl Default for StableHash128Func {
    fn default() -> Self {
        Self::new()
    }
}

impl StableHash128Func {
    pub fn new() -> Self {
        Self {
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for StableHash128Func {
    fn name(&self) -> &str {
        "stable_hash128"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("stable_hash128: return_field_from_args should be called instead")
    }

    /// Checks the arguments here so an unsupported type fails at planning,
    /// and declares the result non-nullable: nulls hash to a sentinel.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        hash_return_field(self.name(), args, DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        ensure_hash_arguments(self.name(), args.args.len())?;
        invoke_text_hash::<Hex128>(self.name(), &args.args, args.number_rows)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, Int64Array, LargeListArray, ListArray, StringArray, StringViewArray,
    };
    use arrow::datatypes::{DataType, Field, Int8Type, Int64Type};
    use datafusion_common::ScalarValue;
    use datafusion_expr::{ColumnarValue, ReturnFieldArgs, ScalarUDFImpl};
    use xxhash_rust::xxh3::xxh3_128;

    use super::StableHash128Func;
    use crate::hash::test_util::{
        TextGoldenVectors, assert_batch_splits_do_not_matter, assert_golden_vectors_as_arrays,
        assert_golden_vectors_as_scalars, call_columns, call_scalars, random_columns,
        result_values, text, utf8,
    };
    use crate::test_support::invoke;

    fn int64_list(values: Vec<Option<i64>>) -> ScalarValue {
        ScalarValue::List(Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(
            vec![Some(values)],
        )))
    }

    /// Golden vectors, computed by a separate implementation of the layout
    /// documented in `encoding.rs` (Python over the C reference `libxxhash`
    /// 0.8.1, `XXH128_canonicalFromHash` in hex), not by this crate. A
    /// failure here means stored identifiers would change.
    fn golden_vectors() -> TextGoldenVectors {
        vec![
            (
                "'hello'",
                vec![utf8(Some("hello"))],
                "09883e13ee49e90df19b452684f6edfb",
            ),
            (
                "NULL",
                vec![ScalarValue::Null],
                "a6cd5e9392000f6ac44bdff4074eecdb",
            ),
            (
                "typed NULL",
                vec![ScalarValue::Int32(None)],
                "a6cd5e9392000f6ac44bdff4074eecdb",
            ),
            (
                "''",
                vec![utf8(Some(""))],
                "334b47f318706e33ef6fa53f5b034ee4",
            ),
            (
                "42",
                vec![ScalarValue::UInt8(Some(42))],
                "3b86eb7cb0b91eee1df50b229572c359",
            ),
            (
                "(1, 'a')",
                vec![ScalarValue::Int64(Some(1)), utf8(Some("a"))],
                "9e72225dd9e9e3989219e29c60b8ad34",
            ),
            (
                "(42, 'abc', true)",
                vec![
                    ScalarValue::Int32(Some(42)),
                    utf8(Some("abc")),
                    ScalarValue::Boolean(Some(true)),
                ],
                "3496c3af05fbd0eceef309a0927b9f3d",
            ),
            (
                "[1, NULL]",
                vec![int64_list(vec![Some(1), None])],
                "a7058cece482cc2f00a4324276ea0a2d",
            ),
            (
                "[1, NULL] as LargeList(Int8)",
                vec![ScalarValue::LargeList(Arc::new(
                    LargeListArray::from_iter_primitive::<Int8Type, _, _>(vec![Some(vec![
                        Some(1),
                        None,
                    ])]),
                ))],
                "a7058cece482cc2f00a4324276ea0a2d",
            ),
            (
                "[]",
                vec![int64_list(vec![])],
                "eeaf872341dd2b5d00f7c61a09e461b6",
            ),
            (
                "12:34:56",
                vec![ScalarValue::Time64Microsecond(Some(45_296_000_000))],
                "d707ff5ec79247073ba20973faa2bd38",
            ),
        ]
    }

    #[test]
    fn golden_vectors_as_scalars() {
        assert_golden_vectors_as_scalars(&StableHash128Func::new(), golden_vectors());
    }

    #[test]
    fn golden_vectors_as_arrays() {
        assert_golden_vectors_as_arrays(&StableHash128Func::new(), golden_vectors());
    }

    #[test]
    fn output_is_the_hex_of_xxh3_128_over_the_documented_layout() {
        // ('hello', NULL): 0x04, length 5 as u64, the bytes; then 0x00. The
        // pinned hex is the C reference's for these bytes.
        let mut bytes = vec![0x04];
        bytes.extend_from_slice(&5u64.to_le_bytes());
        bytes.extend_from_slice(b"hello");
        bytes.push(0x00);
        let expected = format!("{:032x}", xxh3_128(&bytes));
        let result = call_scalars(
            &StableHash128Func::new(),
            &[utf8(Some("hello")), ScalarValue::Null],
        );
        assert_eq!(text(&result), Some(expected.as_str()));
        assert_eq!(expected, "67ed448bd4f9fd34ff8a8c35eee6a078");
        assert!(
            expected
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }

    #[test]
    fn representations_hash_alike() {
        let values = vec![Some("a"), None, Some(""), Some("日本")];
        let expected = call_columns(
            &StableHash128Func::new(),
            &[Arc::new(StringArray::from(values.clone()))],
        );
        let view = call_columns(
            &StableHash128Func::new(),
            &[Arc::new(StringViewArray::from(values))],
        );
        assert_eq!(view, expected);

        let list: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), None]),
            None,
            Some(vec![]),
        ]));
        let expected = call_columns(&StableHash128Func::new(), &[Arc::clone(&list)]);
        for target in [
            DataType::LargeList(Arc::new(Field::new_list_field(DataType::Int8, true))),
            DataType::ListView(Arc::new(Field::new_list_field(DataType::UInt32, true))),
        ] {
            let other = arrow::compute::cast(&list, &target).unwrap();
            assert_eq!(
                call_columns(&StableHash128Func::new(), &[other]),
                expected,
                "{target}"
            );
        }
        assert_eq!(text(&expected[0]), Some("a7058cece482cc2f00a4324276ea0a2d"));
        assert_eq!(text(&expected[1]), Some("a6cd5e9392000f6ac44bdff4074eecdb"));
    }

    #[test]
    fn nulls_hash_to_the_sentinel_and_the_result_is_never_null() {
        let column: ArrayRef = Arc::new(Int64Array::from(vec![None, Some(1), None]));
        let results = call_columns(&StableHash128Func::new(), &[column]);
        assert_eq!(results[0], utf8(Some("a6cd5e9392000f6ac44bdff4074eecdb")));
        assert_eq!(results[2], results[0]);
        assert_ne!(results[1], results[0]);

        let fields = [Arc::new(Field::new("v", DataType::Int64, true))];
        let field = StableHash128Func::new()
            .return_field_from_args(ReturnFieldArgs {
                arg_fields: &fields,
                scalar_arguments: &[None],
            })
            .unwrap();
        assert_eq!(field.data_type(), &DataType::Utf8);
        assert!(!field.is_nullable());
    }

    #[test]
    fn constants_and_columns_mix() {
        let column: ArrayRef = Arc::new(StringArray::from(vec![Some("x"), None]));
        let args = vec![
            ColumnarValue::Scalar(ScalarValue::Int64(Some(1))),
            ColumnarValue::Array(Arc::clone(&column)),
        ];
        let mixed = result_values(invoke(&StableHash128Func::new(), args, 2).unwrap(), 2);
        let expected = call_columns(
            &StableHash128Func::new(),
            &[Arc::new(Int64Array::from(vec![1, 1])), column],
        );
        assert_eq!(mixed, expected);
        let first = call_scalars(
            &StableHash128Func::new(),
            &[ScalarValue::Int64(Some(1)), utf8(Some("x"))],
        );
        assert_eq!(mixed[0], first);
    }

    #[test]
    fn batch_splits_do_not_matter() {
        assert_batch_splits_do_not_matter(&StableHash128Func::new(), 0x5EED_0128, random_columns);
    }

    #[test]
    fn zero_arguments_is_an_error() {
        let error = StableHash128Func::new()
            .return_field_from_args(ReturnFieldArgs {
                arg_fields: &[],
                scalar_arguments: &[],
            })
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("stable_hash128 requires at least one argument"),
            "{error}"
        );
        assert!(invoke(&StableHash128Func::new(), vec![], 1).is_err());
    }

    #[test]
    fn unions_are_rejected() {
        let fields =
            arrow::datatypes::UnionFields::try_new([0], [Field::new("i", DataType::Int32, true)])
                .unwrap();
        let union = DataType::Union(fields, arrow::datatypes::UnionMode::Dense);
        let arg_fields = [Arc::new(Field::new("u", union, true))];
        let error = StableHash128Func::new()
            .return_field_from_args(ReturnFieldArgs {
                arg_fields: &arg_fields,
                scalar_arguments: &[None],
            })
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("stable_hash128 does not support Union(Dense"),
            "{error}"
        );
    }

    #[test]
    fn mismatched_argument_length_is_an_error() {
        let short: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        let error = invoke(
            &StableHash128Func::new(),
            vec![ColumnarValue::Array(short)],
            2,
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("argument has 1 rows, expected 2")
        );
    }
}
