//! Reading a table function's arguments: constants only (DataFusion folds
//! constant expressions before the call), each error naming the function and
//! the argument.

use datafusion::common::{ScalarValue, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::Expr;

use crate::table::parse_table_uri;

/// The arguments of one call of `function`, whose parameters are `names`
/// (the first `required` of them mandatory).
pub(crate) struct Args<'a> {
    function: &'static str,
    names: &'static [&'static str],
    exprs: &'a [Expr],
}

impl<'a> Args<'a> {
    pub(crate) fn new(
        function: &'static str,
        names: &'static [&'static str],
        required: usize,
        exprs: &'a [Expr],
    ) -> Result<Args<'a>> {
        if exprs.len() < required || exprs.len() > names.len() {
            let expected = match (required, names.len()) {
                (0, 0) => "no arguments".to_string(),
                (r, n) if r == n => format!("{n} argument{} ({})", if n == 1 { "" } else { "s" }, names.join(", ")),
                (r, n) => {
                    let (mandatory, optional) = names.split_at(r);
                    format!("{r} to {n} arguments ({} [, {}])", mandatory.join(", "), optional.join(", "))
                }
            };
            return plan_err!("{function} takes {expected}, got {}", exprs.len());
        }
        Ok(Args { function, names, exprs })
    }

    /// The constant value of argument `index`; `None` when it was not given.
    fn value(&self, index: usize) -> Result<Option<&'a ScalarValue>> {
        match self.exprs.get(index) {
            None => Ok(None),
            Some(Expr::Literal(value, _)) => Ok(Some(value)),
            Some(other) => plan_err!("{}: {} must be a constant, got {other}", self.function, self.names[index]),
        }
    }

    /// A string argument that must be given and not NULL.
    pub(crate) fn string(&self, index: usize) -> Result<String> {
        let name = self.names[index];
        match self.value(index)? {
            Some(value) if value.is_null() => plan_err!("{}: {name} must not be NULL", self.function),
            Some(value) => match string_of(value) {
                Some(text) => Ok(text.to_string()),
                None => plan_err!("{}: {name} must be a string, got {}", self.function, shown(value)),
            },
            None => plan_err!("{}: {name} is required", self.function),
        }
    }

    /// A table URI: a non-empty string of a supported scheme, or a local path.
    /// Whether the table exists is found out when it is read.
    pub(crate) fn uri(&self, index: usize) -> Result<String> {
        let uri = self.string(index)?;
        match parse_table_uri(&uri) {
            Ok(()) => Ok(uri),
            Err(why) => plan_err!("{}: {} {why}", self.function, self.names[index]),
        }
    }

    /// An optional string: absent or NULL is `None`.
    pub(crate) fn optional_string(&self, index: usize) -> Result<Option<String>> {
        match self.value(index)? {
            None => Ok(None),
            Some(value) if value.is_null() => Ok(None),
            Some(value) => match string_of(value) {
                Some(text) => Ok(Some(text.to_string())),
                None => plan_err!("{}: {} must be a string, got {}", self.function, self.names[index], shown(value)),
            },
        }
    }

    /// An optional integer in `0..=i64::MAX` (versions and counts are Int64
    /// columns); absent or NULL is `None`.
    pub(crate) fn optional_count(&self, index: usize) -> Result<Option<u64>> {
        let Some(value) = self.value(index)? else { return Ok(None) };
        if value.is_null() {
            return Ok(None);
        }
        let number = match value {
            ScalarValue::Int8(Some(n)) => Some(i128::from(*n)),
            ScalarValue::Int16(Some(n)) => Some(i128::from(*n)),
            ScalarValue::Int32(Some(n)) => Some(i128::from(*n)),
            ScalarValue::Int64(Some(n)) => Some(i128::from(*n)),
            ScalarValue::UInt8(Some(n)) => Some(i128::from(*n)),
            ScalarValue::UInt16(Some(n)) => Some(i128::from(*n)),
            ScalarValue::UInt32(Some(n)) => Some(i128::from(*n)),
            ScalarValue::UInt64(Some(n)) => Some(i128::from(*n)),
            _ => None,
        };
        match number.and_then(|n| u64::try_from(n).ok()).filter(|n| i64::try_from(*n).is_ok()) {
            Some(n) => Ok(Some(n)),
            None => plan_err!(
                "{}: {} must be a non-negative integer, got {}",
                self.function,
                self.names[index],
                shown(value)
            ),
        }
    }
}

fn string_of(value: &ScalarValue) -> Option<&str> {
    match value {
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => Some(s),
        ScalarValue::Dictionary(_, inner) => string_of(inner),
        _ => None,
    }
}

/// A value as the user wrote it: strings quoted, the rest as SQL shows them.
fn shown(value: &ScalarValue) -> String {
    match string_of(value) {
        Some(text) => format!("'{text}'"),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::lit;

    use super::*;

    const NAMES: &[&str] = &["uri", "limit"];

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Ok(value) => panic!("expected an error, got {value:?}"),
            Err(error) => error.strip_backtrace(),
        }
    }

    #[test]
    fn counts_are_checked_against_the_parameters() {
        assert_eq!(
            message(Args::new("f", NAMES, 1, &[]).map(|_| ())),
            "Error during planning: f takes 1 to 2 arguments (uri [, limit]), got 0"
        );
        assert_eq!(
            message(Args::new("g", &[], 0, &[lit(1)]).map(|_| ())),
            "Error during planning: g takes no arguments, got 1"
        );
        assert_eq!(
            message(Args::new("h", &["uri"], 1, &[lit(1), lit(2)]).map(|_| ())),
            "Error during planning: h takes 1 argument (uri), got 2"
        );
    }

    #[test]
    fn values_are_checked_and_named() {
        let exprs = [lit("/t"), lit("x")];
        let args = Args::new("delta_history", NAMES, 1, &exprs).expect("two arguments");
        assert_eq!(args.uri(0).expect("a path"), "/t");
        assert_eq!(
            message(args.optional_count(1)),
            "Error during planning: delta_history: limit must be a non-negative integer, got 'x'"
        );
        let exprs = [lit(7), lit(-1i64)];
        let args = Args::new("f", NAMES, 1, &exprs).expect("two arguments");
        assert_eq!(message(args.uri(0)), "Error during planning: f: uri must be a string, got 7");
        assert_eq!(
            message(args.optional_count(1)),
            "Error during planning: f: limit must be a non-negative integer, got -1"
        );
        let exprs = [lit(ScalarValue::Utf8(None)), lit(ScalarValue::Int64(None))];
        let args = Args::new("f", NAMES, 1, &exprs).expect("two arguments");
        assert_eq!(message(args.uri(0)), "Error during planning: f: uri must not be NULL");
        assert_eq!(args.optional_count(1).expect("NULL is absent"), None);
        let exprs = [lit("ftp://host/t"), lit(u64::MAX)];
        let args = Args::new("f", NAMES, 1, &exprs).expect("two arguments");
        assert!(message(args.uri(0)).contains("f: uri scheme 'ftp' is not supported"));
        assert!(message(args.optional_count(1)).ends_with("must be a non-negative integer, got 18446744073709551615"));
        let exprs = [lit("/t"), lit(3u8)];
        assert_eq!(Args::new("f", NAMES, 1, &exprs).and_then(|a| a.optional_count(1)).expect("a u8"), Some(3));
    }
}
