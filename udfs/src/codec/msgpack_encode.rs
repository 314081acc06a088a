//! `msgpack_encode(value)`: the canonical MessagePack form of a value, as
//! Binary.

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::{DataType, FieldRef};
use datafusion_common::utils::take_function_args;
use datafusion_common::{Result, internal_err};
use datafusion_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

use super::args::{BinaryColumn, canonical_return_field, unary};
use super::canonical::{CanonicalEncoder, NIL};

#[user_doc(
    doc_section(label = "MessagePack Functions"),
    description = r#"Encodes a value as MessagePack in dfpack's canonical form, as Binary.

Every value has exactly one encoding, whatever its Arrow representation: integers of every width and signedness as the shortest MessagePack int (so a TINYINT 5 and a BIGINT 5 give the same bytes), floats always as float 64 (-0.0 as 0.0, every NaN as one NaN), strings of every kind as str, binaries as bin, dictionary and run-end encoded values as their value, lists of every kind as arrays, structs and maps as maps whose entries are sorted by the bytes of their encoded key (a struct and a map with the same names and values encode alike), timestamps as the standard MessagePack timestamp (ext type -1; the timezone is not encoded), and dates (ext 1), times (ext 2), durations (ext 3), intervals (ext 4) and decimals (ext 5, scale then unscaled value) as ext values. The form is a stable contract, documented in dfpack's `codec::canonical` module. A NULL argument gives NULL; NULLs inside a list, struct or map are encoded as nil. Union values are rejected."#,
    syntax_example = "msgpack_encode(expression)",
    sql_example = r#"```sql
> select msgpack_encode(5), msgpack_encode(arrow_cast(5, 'Int8')), msgpack_encode('hi'), msgpack_encode(NULL);
+--------------------------+---------------------------------------------------+----------------------------+----------------------+
| msgpack_encode(Int64(5)) | msgpack_encode(arrow_cast(Int64(5),Utf8("Int8"))) | msgpack_encode(Utf8("hi")) | msgpack_encode(NULL) |
+--------------------------+---------------------------------------------------+----------------------------+----------------------+
| 05                       | 05                                                | a26869                     |                      |
+--------------------------+---------------------------------------------------+----------------------------+----------------------+
> select msgpack_encode(named_struct('b', 1.5, 'a', [1, NULL])) as encoded;
+------------------------------------+
| encoded                            |
+------------------------------------+
| 82a1619201c0a162cb3ff8000000000000 |
+------------------------------------+
```"#,
    argument(
        name = "expression",
        description = "The value to encode: a constant, column or function of any type but a union. NULL gives NULL."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MsgpackEncodeFunc {
    signature: Signature,
}

impl Default for MsgpackEncodeFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl MsgpackEncodeFunc {
    pub fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

const NAME: &str = "msgpack_encode";

impl ScalarUDFImpl for MsgpackEncodeFunc {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("{NAME}: return_field_from_args should be called instead")
    }

    /// Rejects a type without a canonical form while planning.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        canonical_return_field(NAME, args.arg_fields, DataType::Binary, true)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = take_function_args(NAME, &args.args)?;
        unary(arg, |array| encode_column(NAME, array))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// The canonical encoding of every row of `array`, NULL where the row is
/// null. A row is null exactly when it encodes to nil: no other value does.
pub(crate) fn encode_column(function: &'static str, array: &dyn Array) -> Result<ArrayRef> {
    let encoder = CanonicalEncoder::try_new(function, array)?;
    let rows = array.len();
    let mut column = BinaryColumn::with_capacity(function, rows, rows.saturating_mul(8));
    for row in 0..rows {
        let start = column.row_start();
        encoder.append(row, column.buffer())?;
        if column.buffer()[start..] == [NIL] {
            column.end_null();
        } else {
            column.end_value()?;
        }
    }
    column.finish()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, ArrayRef, AsArray, Int32Array, StringArray};
    use arrow::datatypes::{DataType, Field};
    use datafusion_common::{Result, ScalarValue};
    use datafusion_expr::{ColumnarValue, ReturnFieldArgs, ScalarUDFImpl};

    use super::MsgpackEncodeFunc;
    use crate::test_support::{invoke_unplanned, union_of_int32};

    fn invoke(arg: ColumnarValue, number_rows: usize) -> Result<ColumnarValue> {
        invoke_unplanned(
            &MsgpackEncodeFunc::new(),
            vec![arg],
            number_rows,
            DataType::Binary,
        )
    }

    #[test]
    fn constants_give_constants_and_null_gives_null() {
        let ColumnarValue::Scalar(ScalarValue::Binary(Some(bytes))) =
            invoke(ColumnarValue::Scalar(ScalarValue::Int8(Some(5))), 1).unwrap()
        else {
            panic!("a constant gives a Binary constant");
        };
        assert_eq!(bytes, [0x05]);
        for null in [
            ScalarValue::Null,
            ScalarValue::Utf8(None),
            ScalarValue::Int64(None),
        ] {
            let result = invoke(ColumnarValue::Scalar(null.clone()), 1).unwrap();
            assert!(
                matches!(result, ColumnarValue::Scalar(ScalarValue::Binary(None))),
                "{null:?} gives {result:?}"
            );
        }
    }

    #[test]
    fn columns_give_columns_with_nulls_where_the_input_is_null() {
        let column: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some("")]));
        let ColumnarValue::Array(result) = invoke(ColumnarValue::Array(column), 3).unwrap() else {
            panic!("a column gives a column");
        };
        let result = result.as_binary::<i32>();
        assert_eq!(result.value(0), [0xa1, b'a']);
        assert!(result.is_null(1));
        assert_eq!(result.value(2), [0xa0]);
        // A sliced column encodes its own rows.
        let column: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 300]));
        let ColumnarValue::Array(result) =
            invoke(ColumnarValue::Array(column.slice(1, 2)), 2).unwrap()
        else {
            panic!("a column gives a column");
        };
        let result = result.as_binary::<i32>();
        assert_eq!(result.value(0), [0x02]);
        assert_eq!(result.value(1), [0xcd, 0x01, 0x2c]);
    }

    #[test]
    fn unions_are_rejected_when_planning_and_executing() {
        let union = union_of_int32();
        let field = Arc::new(Field::new("u", union.data_type().clone(), true));
        let error = MsgpackEncodeFunc::new()
            .return_field_from_args(ReturnFieldArgs {
                arg_fields: &[field],
                scalar_arguments: &[None],
            })
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("msgpack_encode does not support Union"),
            "{error}"
        );

        let error = invoke(ColumnarValue::Array(union), 1)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("msgpack_encode does not support Union"),
            "{error}"
        );
    }

    #[test]
    fn arity_is_checked() {
        let error = MsgpackEncodeFunc::new()
            .return_field_from_args(ReturnFieldArgs {
                arg_fields: &[],
                scalar_arguments: &[],
            })
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("msgpack_encode function requires 1 argument, got 0"),
            "{error}"
        );
    }
}
