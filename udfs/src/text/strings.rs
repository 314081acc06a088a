//! String handling shared by the text functions: the string types they accept
//! and builders for each output type.

use std::sync::Arc;

use arrow::array::{ArrayRef, GenericStringBuilder, OffsetSizeTrait, StringViewBuilder};
use arrow::datatypes::DataType;
use datafusion_common::{Result, plan_err};

/// The type a string argument is coerced to: Utf8, LargeUtf8 and Utf8View
/// stay, a dictionary of strings becomes its value type, NULL becomes Utf8.
pub fn coerced_string_type(
    function: &str,
    argument: &str,
    data_type: &DataType,
) -> Result<DataType> {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Ok(data_type.clone()),
        DataType::Null => Ok(DataType::Utf8),
        DataType::Dictionary(_, value)
            if matches!(
                value.as_ref(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) =>
        {
            Ok(value.as_ref().clone())
        }
        other => plan_err!("{function} expects a string for {argument}, got {other}"),
    }
}

/// A builder of one of the string array types.
pub trait StringSink {
    fn append_value(&mut self, value: &str);
    fn append_null(&mut self);
    fn finish_array(self) -> ArrayRef;
}

impl<O: OffsetSizeTrait> StringSink for GenericStringBuilder<O> {
    #[inline]
    fn append_value(&mut self, value: &str) {
        GenericStringBuilder::append_value(self, value)
    }

    #[inline]
    fn append_null(&mut self) {
        GenericStringBuilder::append_null(self)
    }

    fn finish_array(mut self) -> ArrayRef {
        Arc::new(self.finish())
    }
}

impl StringSink for StringViewBuilder {
    #[inline]
    fn append_value(&mut self, value: &str) {
        StringViewBuilder::append_value(self, value)
    }

    #[inline]
    fn append_null(&mut self) {
        StringViewBuilder::append_null(self)
    }

    fn finish_array(mut self) -> ArrayRef {
        Arc::new(self.finish())
    }
}
