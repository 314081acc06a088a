//! `list_unique_sorted(list)`: the distinct non-null elements of a list, in
//! ascending order.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, GenericListArray, OffsetSizeTrait, UInt64Array};
use arrow::buffer::OffsetBuffer;
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, FieldRef};
use arrow::row::{RowConverter, SortField};
use datafusion_common::{Result, exec_datafusion_err, exec_err, internal_err, plan_err};
use datafusion_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

use super::args::{Args, expect_arity};
use super::lists::{coerce_list, coerced_list_type, element_range, used_values};

#[user_doc(
    doc_section(label = "Array Functions"),
    description = r#"Returns the distinct non-NULL elements of a list, sorted in ascending order.

NULL elements are dropped. Elements may be of any orderable type, nested ones included, and are ordered as Arrow's row format orders them: numbers by value, strings and binaries bytewise (for UTF-8, by code point), `false` before `true`, dates and timestamps chronologically; floats by total order (`-0.0` and `0.0` are distinct, `NaN` sorts after infinity and equals itself); lists and structs lexicographically, with NULLs inside them first. Two elements are duplicates when they are equal in that order.

The result has the list's type: List stays List and LargeList stays LargeList; a FixedSizeList or ListView gives a List (a LargeListView a LargeList). A NULL list gives NULL; an empty list, or one of NULLs only, gives an empty list."#,
    syntax_example = "list_unique_sorted(list)",
    sql_example = r#"```sql
> select list_unique_sorted([3, 1, NULL, 3, 2, 1]);
+-----------------------------------------------------------------------------------+
| list_unique_sorted(make_array(Int64(3),Int64(1),NULL,Int64(3),Int64(2),Int64(1))) |
+-----------------------------------------------------------------------------------+
| [1, 2, 3]                                                                         |
+-----------------------------------------------------------------------------------+
```"#,
    argument(
        name = "list",
        description = "List expression: a constant, column or function returning a List, LargeList, FixedSizeList or ListView of an orderable element type."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ListUniqueSortedFunc {
    signature: Signature,
}

impl Default for ListUniqueSortedFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ListUniqueSortedFunc {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const NAME: &str = "list_unique_sorted";

/// The coerced list type, once its elements are known to be orderable.
fn checked_list_type(data_type: &DataType) -> Result<DataType> {
    let coerced = coerced_list_type(NAME, data_type)?;
    if let DataType::List(field) | DataType::LargeList(field) = &coerced {
        let element = field.data_type();
        if !element.is_null()
            && let Err(error) = RowConverter::new(vec![SortField::new(element.clone())])
        {
            return plan_err!("{NAME} cannot order elements of type {element}: {error}");
        }
    }
    Ok(coerced)
}

impl ScalarUDFImpl for ListUniqueSortedFunc {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        expect_arity(NAME, "list", arg_types)?;
        Ok(vec![checked_list_type(&arg_types[0])?])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("{NAME}: return_field_from_args should be called instead")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        expect_arity(NAME, "list", args.arg_fields)?;
        let field = &args.arg_fields[0];
        let data_type = checked_list_type(field.data_type())?;
        let nullable = field.is_nullable() || data_type.is_null();
        Ok(Arc::new(Field::new(NAME, data_type, nullable)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        expect_arity(NAME, "list", &args.args)?;
        let call = Args::try_new(NAME, &args.args, args.number_rows)?;
        let result = list_unique_sorted(&call.args[0].array)?;
        call.finish(result)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Every row of `lists` reduced to its distinct non-null elements, sorted.
pub fn list_unique_sorted(lists: &ArrayRef) -> Result<ArrayRef> {
    let lists = coerce_list(NAME, lists)?;
    match lists.data_type() {
        DataType::List(_) => unique_sorted(lists.as_list::<i32>()),
        DataType::LargeList(_) => unique_sorted(lists.as_list::<i64>()),
        DataType::Null => Ok(lists),
        other => exec_err!("{NAME} expects a list argument, got {other}"),
    }
}

fn unique_sorted<O: OffsetSizeTrait>(list: &GenericListArray<O>) -> Result<ArrayRef> {
    let (DataType::List(field) | DataType::LargeList(field)) = list.data_type() else {
        return internal_err!("{NAME}: a list array has a list type");
    };
    let (values, base) = used_values(list);
    let element_nulls = values.logical_nulls();
    let valid_elements = values.len() - element_nulls.as_ref().map_or(0, |n| n.null_count());

    // Each element as a byte string that sorts and compares like the value:
    // one conversion for the batch, then plain byte comparisons per row.
    let rows = if valid_elements == 0 {
        None
    } else {
        let converter = RowConverter::new(vec![SortField::new(values.data_type().clone())])
            .map_err(|e| exec_datafusion_err!("{NAME} cannot order {}: {e}", values.data_type()))?;
        Some(converter.convert_columns(std::slice::from_ref(&values))?)
    };

    let offsets = list.value_offsets();
    let row_nulls = list.logical_nulls();
    let mut picks: Vec<u64> = Vec::with_capacity(valid_elements);
    let mut new_offsets = Vec::with_capacity(list.len() + 1);
    new_offsets.push(O::usize_as(0));
    // Reused for every row: cleared, never reallocated once grown.
    let mut row_elements: Vec<usize> = Vec::new();
    for row in 0..list.len() {
        if let (Some(rows), false) = (&rows, row_nulls.as_ref().is_some_and(|n| n.is_null(row))) {
            let (start, end) = element_range(offsets, base, row);
            row_elements.clear();
            row_elements.extend(
                (start..end).filter(|&e| element_nulls.as_ref().is_none_or(|n| n.is_valid(e))),
            );
            row_elements.sort_unstable_by(|&a, &b| rows.row(a).cmp(&rows.row(b)));
            let mut previous = None;
            for &element in &row_elements {
                if previous.is_none_or(|p| rows.row(p) != rows.row(element)) {
                    picks.push(element as u64);
                    previous = Some(element);
                }
            }
        }
        new_offsets.push(O::usize_as(picks.len()));
    }
    let unique = take(&values, &UInt64Array::from(picks), None)?;
    Ok(Arc::new(GenericListArray::<O>::try_new(
        Arc::clone(field),
        OffsetBuffer::new(new_offsets.into()),
        unique,
        list.nulls().cloned(),
    )?))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use arrow::array::{
        Array, ArrayRef, BooleanArray, FixedSizeListArray, Float64Array, LargeListArray, ListArray,
        NullArray, StringArray, StringViewArray, StructArray,
    };
    use arrow::buffer::OffsetBuffer;
    use arrow::datatypes::{DataType, Field, Int32Type, Int64Type};
    use datafusion_common::ScalarValue;
    use datafusion_expr::{ColumnarValue, ScalarUDFImpl};

    use super::ListUniqueSortedFunc;
    use crate::shapes::testing::display;
    use crate::test_support::{XorShift, assert_slices_match_whole, invoke, invoke_arrays};

    fn run(list: ArrayRef) -> (DataType, Vec<String>) {
        let result = invoke_arrays(&ListUniqueSortedFunc::new(), &[list]).unwrap();
        (result.data_type().clone(), display(result.as_ref()))
    }

    fn int_lists(rows: Vec<Option<Vec<Option<i64>>>>) -> ListArray {
        ListArray::from_iter_primitive::<Int64Type, _, _>(rows)
    }

    fn list_of(values: ArrayRef, offsets: Vec<i32>) -> ArrayRef {
        Arc::new(ListArray::new(
            Arc::new(Field::new_list_field(values.data_type().clone(), true)),
            OffsetBuffer::new(offsets.into()),
            values,
            None,
        ))
    }

    #[test]
    fn distinct_sorted_without_nulls() {
        let list = int_lists(vec![
            Some(vec![Some(3), Some(1), None, Some(3), Some(2), Some(1)]),
            Some(vec![None, None]),
            Some(vec![]),
            None,
            Some(vec![Some(-5), Some(i64::MAX), Some(i64::MIN)]),
        ]);
        let (data_type, rows) = run(Arc::new(list.clone()));
        assert_eq!(&data_type, list.data_type());
        assert_eq!(
            rows,
            [
                "[1, 2, 3]",
                "[]",
                "[]",
                "NULL",
                "[-9223372036854775808, -5, 9223372036854775807]"
            ]
        );
    }

    #[test]
    fn strings_sort_by_code_point() {
        let values: ArrayRef = Arc::new(StringArray::from(vec![
            Some("b"),
            Some("é"),
            Some("B"),
            None,
            Some(""),
            Some("b"),
            Some("a"),
        ]));
        assert_eq!(run(list_of(values, vec![0, 7])).1, ["[, B, a, b, é]"]);

        let views: ArrayRef = Arc::new(StringViewArray::from(vec![
            "zebra, longer than twelve",
            "apple, longer than twelve",
            "zebra, longer than twelve",
        ]));
        assert_eq!(
            run(list_of(views, vec![0, 3])).1,
            ["[apple, longer than twelve, zebra, longer than twelve]"]
        );
    }

    #[test]
    fn floats_sort_by_total_order() {
        let values: ArrayRef = Arc::new(Float64Array::from(vec![
            f64::NAN,
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1.5,
        ]));
        assert_eq!(
            run(list_of(values, vec![0, 7])).1,
            ["[-inf, -0.0, 0.0, 1.5, inf, NaN]"]
        );
    }

    #[test]
    fn booleans_and_nested_elements() {
        let booleans: ArrayRef = Arc::new(BooleanArray::from(vec![
            Some(true),
            None,
            Some(false),
            Some(true),
        ]));
        assert_eq!(run(list_of(booleans, vec![0, 4])).1, ["[false, true]"]);

        let inner = int_lists(vec![
            Some(vec![Some(2)]),
            Some(vec![Some(1), Some(5)]),
            Some(vec![None]),
            Some(vec![Some(2)]),
            Some(vec![]),
            None,
        ]);
        assert_eq!(
            run(list_of(Arc::new(inner), vec![0, 6])).1,
            ["[[], [NULL], [1, 5], [2]]"]
        );

        let structs: ArrayRef = Arc::new(StructArray::from(vec![
            (
                Arc::new(Field::new("a", DataType::Utf8, true)),
                Arc::new(StringArray::from(vec![
                    Some("y"),
                    Some("x"),
                    Some("y"),
                    None,
                ])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("b", DataType::Int64, true)),
                Arc::new(arrow::array::Int64Array::from(vec![1, 2, 1, 3])) as ArrayRef,
            ),
        ]));
        assert_eq!(
            run(list_of(structs, vec![0, 4])).1,
            ["[{a: NULL, b: 3}, {a: x, b: 2}, {a: y, b: 1}]"]
        );
    }

    #[test]
    fn every_list_type() {
        let large = LargeListArray::from_iter_primitive::<Int64Type, _, _>(vec![Some(vec![
            Some(2),
            Some(1),
            Some(2),
        ])]);
        let (data_type, rows) = run(Arc::new(large.clone()));
        assert_eq!(&data_type, large.data_type());
        assert_eq!(rows, ["[1, 2]"]);

        let fixed = FixedSizeListArray::from_iter_primitive::<Int32Type, _, _>(
            vec![Some(vec![Some(3), Some(3), None]), None],
            3,
        );
        let (data_type, rows) = run(Arc::new(fixed));
        assert_eq!(
            data_type,
            DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true)))
        );
        assert_eq!(rows, ["[3]", "NULL"]);

        let nulls = list_of(Arc::new(NullArray::new(3)), vec![0, 3, 3]);
        assert_eq!(run(nulls).1, ["[]", "[]"]);
    }

    #[test]
    fn sliced_lists_use_their_own_rows() {
        let list = int_lists(vec![
            Some(vec![Some(9)]),
            Some(vec![Some(2), Some(1)]),
            Some(vec![Some(4), Some(4)]),
        ]);
        assert_eq!(run(Arc::new(list.slice(1, 2))).1, ["[1, 2]", "[4]"]);
    }

    #[test]
    fn constant_list_gives_a_constant() {
        let list = int_lists(vec![Some(vec![Some(2), None, Some(1)])]);
        let result = invoke(
            &ListUniqueSortedFunc::new(),
            vec![ColumnarValue::Scalar(ScalarValue::List(Arc::new(list)))],
            1,
        )
        .unwrap();
        let ColumnarValue::Scalar(ScalarValue::List(list)) = result else {
            panic!("a constant gives a constant, got {result:?}");
        };
        assert_eq!(display(list.as_ref()), ["[1, 2]"]);
    }

    #[test]
    fn non_list_arguments_are_rejected_when_planning() {
        let func = ListUniqueSortedFunc::new();
        let error = func.coerce_types(&[DataType::Int64]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("list_unique_sorted expects a list argument, got Int64"),
            "{error}"
        );
        let error = func
            .coerce_types(&[DataType::Null, DataType::Null])
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("expects 1 argument (list), got 2"),
            "{error}"
        );
    }

    #[test]
    fn batch_splits_do_not_matter_and_match_a_reference() {
        let mut random = XorShift::new(11);
        let rows: Vec<Option<Vec<Option<i64>>>> = (0..400)
            .map(|_| {
                (random.below(7) != 0).then(|| {
                    (0..random.below(9))
                        .map(|_| (random.below(4) != 0).then(|| random.below(8) as i64 - 4))
                        .collect()
                })
            })
            .collect();
        let list: ArrayRef = Arc::new(int_lists(rows.clone()));
        assert_slices_match_whole(
            &ListUniqueSortedFunc::new(),
            &[Arc::clone(&list)],
            11,
            display,
        );

        let expected: Vec<Option<Vec<Option<i64>>>> = rows
            .into_iter()
            .map(|row| {
                row.map(|values| {
                    let unique: BTreeSet<i64> = values.into_iter().flatten().collect();
                    unique.into_iter().map(Some).collect()
                })
            })
            .collect();
        assert_eq!(run(list).1, display(&int_lists(expected)));
    }
}
