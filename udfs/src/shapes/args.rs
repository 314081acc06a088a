//! Argument handling shared by the shapes functions.

use arrow::array::ArrayRef;
use datafusion_common::{Result, ScalarValue, exec_err, plan_err};
use datafusion_expr::ColumnarValue;

/// Checks the number of arguments when planning.
pub fn expect_arity<T>(function: &str, signature: &str, args: &[T]) -> Result<()> {
    let expected = signature.split(',').count();
    if args.len() != expected {
        return plan_err!(
            "{function} expects {expected} argument{} ({signature}), got {}",
            if expected == 1 { "" } else { "s" },
            args.len()
        );
    }
    Ok(())
}

/// One argument of a call: a constant is a one-row array read for every row.
pub struct Arg {
    pub array: ArrayRef,
    pub constant: bool,
}

impl Arg {
    /// The row of this argument's array that holds the value of `row`.
    #[inline]
    pub fn row(&self, row: usize) -> usize {
        if self.constant { 0 } else { row }
    }
}

/// The arguments of one call, and the number of rows to compute: one when all
/// are constants (the result is then a constant too).
pub struct Args {
    pub args: Vec<Arg>,
    pub rows: usize,
    pub constant: bool,
}

impl Args {
    pub fn try_new(function: &str, values: &[ColumnarValue], number_rows: usize) -> Result<Self> {
        let constant = values.iter().all(|v| matches!(v, ColumnarValue::Scalar(_)));
        let args = values
            .iter()
            .map(|value| match value {
                ColumnarValue::Scalar(scalar) => Ok(Arg {
                    array: scalar.to_array_of_size(1)?,
                    constant: true,
                }),
                ColumnarValue::Array(array) => {
                    // Rows are read by index up to `number_rows`.
                    if array.len() != number_rows {
                        return exec_err!(
                            "{function}: argument has {} rows, expected {number_rows}",
                            array.len()
                        );
                    }
                    Ok(Arg {
                        array: ArrayRef::clone(array),
                        constant: false,
                    })
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let rows = if constant { 1 } else { number_rows };
        Ok(Self {
            args,
            rows,
            constant,
        })
    }

    /// Wraps the computed rows: a constant for a call on constants.
    pub fn finish(&self, result: ArrayRef) -> Result<ColumnarValue> {
        if self.constant {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &result, 0,
            )?))
        } else {
            Ok(ColumnarValue::Array(result))
        }
    }
}
