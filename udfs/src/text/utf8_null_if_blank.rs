//! `utf8_null_if_blank(s)`: NULL for a blank string, else the string.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArrayType, new_null_array};
use arrow::buffer::BooleanBuffer;
use arrow::compute::{cast, nullif};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion_common::{Result, ScalarValue, exec_err, internal_err, plan_err};
use datafusion_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

use super::strings::coerced_string_type;

#[user_doc(
    doc_section(label = "String Functions"),
    description = r#"Returns NULL when a string is NULL, empty or only whitespace, else the string unchanged.

Whitespace is Unicode's White_Space property (Rust's `char::is_whitespace`): tab, line feed, vertical tab, form feed, carriage return, space, U+0085, no-break space, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F and U+3000. Zero-width characters such as U+200B and U+FEFF are not whitespace, so a string of them is kept. The result has the type of the argument (Utf8, LargeUtf8 or Utf8View); kept strings are not copied."#,
    syntax_example = "utf8_null_if_blank(str)",
    sql_example = r#"```sql
> select utf8_null_if_blank('  ') is null as blank, utf8_null_if_blank(' a ') as kept;
+-------+------+
| blank | kept |
+-------+------+
| true  |  a   |
+-------+------+
```"#,
    argument(
        name = "str",
        description = "String expression: Utf8, LargeUtf8 or Utf8View."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Utf8NullIfBlankFunc {
    signature: Signature,
}

impl Default for Utf8NullIfBlankFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl Utf8NullIfBlankFunc {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const NAME: &str = "utf8_null_if_blank";

fn check_arity(count: usize) -> Result<()> {
    if count != 1 {
        return plan_err!("{NAME} expects 1 argument (str), got {count}");
    }
    Ok(())
}

/// Empty, or whitespace only.
#[inline]
pub fn is_blank(s: &str) -> bool {
    s.trim_start().is_empty()
}

impl ScalarUDFImpl for Utf8NullIfBlankFunc {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(arg_types.len())?;
        Ok(vec![coerced_string_type(NAME, "str", &arg_types[0])?])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("{NAME}: return_field_from_args should be called instead")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        check_arity(args.arg_fields.len())?;
        let data_type = coerced_string_type(NAME, "str", args.arg_fields[0].data_type())?;
        Ok(Arc::new(Field::new(NAME, data_type, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        check_arity(args.args.len())?;
        match &args.args[0] {
            ColumnarValue::Scalar(scalar) => {
                let array = scalar.to_array_of_size(1)?;
                let result = null_if_blank(&array)?;
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                    &result, 0,
                )?))
            }
            ColumnarValue::Array(array) => {
                if array.len() != args.number_rows {
                    return exec_err!(
                        "{NAME}: argument has {} rows, expected {}",
                        array.len(),
                        args.number_rows
                    );
                }
                Ok(ColumnarValue::Array(null_if_blank(array)?))
            }
        }
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Which rows are non-null and blank.
fn blank_rows<'a>(strings: impl StringArrayType<'a>) -> BooleanBuffer {
    BooleanBuffer::collect_bool(strings.len(), |row| {
        strings.is_valid(row) && is_blank(strings.value(row))
    })
}

/// `strings` with its blank rows made NULL. The string data is shared, not copied.
pub fn null_if_blank(strings: &ArrayRef) -> Result<ArrayRef> {
    let blank = match strings.data_type() {
        DataType::Utf8 => blank_rows(strings.as_string::<i32>()),
        DataType::LargeUtf8 => blank_rows(strings.as_string::<i64>()),
        DataType::Utf8View => blank_rows(strings.as_string_view()),
        DataType::Null => return Ok(new_null_array(&DataType::Utf8, strings.len())),
        other => {
            let target = coerced_string_type(NAME, "str", other)?;
            return null_if_blank(&cast(strings, &target)?);
        }
    };
    if blank.count_set_bits() == 0 {
        return Ok(ArrayRef::clone(strings));
    }
    Ok(nullif(strings.as_ref(), &BooleanArray::new(blank, None))?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        Array, ArrayRef, AsArray, Int64Array, LargeStringArray, NullArray, StringArray,
        StringViewArray,
    };
    use arrow::datatypes::DataType;
    use datafusion_common::ScalarValue;
    use datafusion_expr::{ColumnarValue, ScalarUDFImpl};

    use super::{Utf8NullIfBlankFunc, is_blank};
    use crate::test_support::{
        XorShift, assert_slices_match_whole, invoke, invoke_arrays, strings,
    };

    const CASES: [(Option<&str>, bool); 12] = [
        (None, true),
        (Some(""), true),
        (Some(" "), true),
        (Some("\t\n\r\u{b}\u{c}"), true),
        (Some("\u{a0}\u{3000}\u{2003}\u{85}\u{2028}"), true),
        (Some("\u{200b}"), false),
        (Some("\u{feff}"), false),
        (Some(" a "), false),
        (Some("x"), false),
        (Some("\u{3000}\u{e9}"), false),
        (Some("a view string longer than twelve bytes"), false),
        (Some("                         "), true),
    ];

    fn expected() -> Vec<Option<String>> {
        CASES
            .iter()
            .map(|(value, blank)| (!blank).then(|| value.unwrap().to_string()))
            .collect()
    }

    #[test]
    fn blank_strings_become_null_in_every_string_type() {
        let values: Vec<Option<&str>> = CASES.iter().map(|(value, _)| *value).collect();
        let inputs: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(values.clone())),
            Arc::new(LargeStringArray::from(values.clone())),
            Arc::new(StringViewArray::from(values.clone())),
        ];
        for input in inputs {
            let result = invoke_arrays(&Utf8NullIfBlankFunc::new(), &[Arc::clone(&input)]).unwrap();
            assert_eq!(result.data_type(), input.data_type());
            assert_eq!(
                strings(result.as_ref()),
                expected(),
                "{}",
                input.data_type()
            );
        }
    }

    #[test]
    fn kept_strings_are_not_copied() {
        let input: ArrayRef = Arc::new(StringArray::from(vec![Some(" "), Some("kept"), None]));
        let result = invoke_arrays(&Utf8NullIfBlankFunc::new(), &[Arc::clone(&input)]).unwrap();
        assert_eq!(
            result.as_string::<i32>().values().as_ptr(),
            input.as_string::<i32>().values().as_ptr()
        );
        let no_blanks: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None]));
        let result = invoke_arrays(&Utf8NullIfBlankFunc::new(), &[Arc::clone(&no_blanks)]).unwrap();
        assert!(Arc::ptr_eq(&result, &no_blanks));
    }

    #[test]
    fn constants_give_constants() {
        for (value, blank) in CASES {
            for scalar in [
                ScalarValue::Utf8(value.map(str::to_string)),
                ScalarValue::LargeUtf8(value.map(str::to_string)),
                ScalarValue::Utf8View(value.map(str::to_string)),
            ] {
                let data_type = scalar.data_type();
                let result = invoke(
                    &Utf8NullIfBlankFunc::new(),
                    vec![ColumnarValue::Scalar(scalar)],
                    1,
                )
                .unwrap();
                let ColumnarValue::Scalar(result) = result else {
                    panic!("a constant gives a constant");
                };
                assert_eq!(result.data_type(), data_type);
                assert_eq!(result.is_null(), blank, "{value:?}");
                if !blank {
                    assert_eq!(result.try_as_str(), Some(value));
                }
            }
        }
        let null = invoke(
            &Utf8NullIfBlankFunc::new(),
            vec![ColumnarValue::Scalar(ScalarValue::Null)],
            1,
        )
        .unwrap();
        let ColumnarValue::Scalar(ScalarValue::Utf8(None)) = null else {
            panic!("NULL gives a Utf8 NULL, got {null:?}");
        };
        let nulls =
            invoke_arrays(&Utf8NullIfBlankFunc::new(), &[Arc::new(NullArray::new(2))]).unwrap();
        assert_eq!(nulls.data_type(), &DataType::Utf8);
        assert_eq!(nulls.null_count(), 2);
    }

    #[test]
    fn is_blank_follows_unicode_white_space() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(
                is_blank(c.encode_utf8(&mut [0; 4])),
                c.is_whitespace(),
                "{c:?}"
            );
        }
    }

    #[test]
    fn wrong_arguments_are_rejected_when_planning() {
        let func = Utf8NullIfBlankFunc::new();
        let error = func.coerce_types(&[DataType::Int64]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("utf8_null_if_blank expects a string for str, got Int64"),
            "{error}"
        );
        let error = func
            .coerce_types(&[DataType::Utf8, DataType::Utf8])
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("utf8_null_if_blank expects 1 argument (str), got 2"),
            "{error}"
        );
        assert_eq!(
            func.coerce_types(&[DataType::Dictionary(
                Box::new(DataType::Int8),
                Box::new(DataType::Utf8View)
            )])
            .unwrap(),
            [DataType::Utf8View]
        );
        let error = invoke_arrays(&func, &[Arc::new(Int64Array::from(vec![1]))]).unwrap_err();
        assert!(error.to_string().contains("expects a string"), "{error}");
    }

    #[test]
    fn batch_splits_do_not_matter() {
        let mut random = XorShift::new(31);
        let pieces = ["", " ", "\u{3000}", "a", "\t", "\u{e9}"];
        let values: Vec<Option<String>> = (0..300)
            .map(|_| {
                (random.below(6) != 0).then(|| {
                    (0..random.below(4))
                        .map(|_| pieces[random.below(pieces.len())])
                        .collect()
                })
            })
            .collect();
        assert_slices_match_whole(
            &Utf8NullIfBlankFunc::new(),
            &[Arc::new(StringArray::from(values))],
            31,
            strings,
        );
    }
}
