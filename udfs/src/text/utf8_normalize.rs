//! `utf8_normalize(s [, form [, casefold [, collapse_ws]]])`: Unicode
//! normalization, optional lowercasing and whitespace collapsing.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, LargeStringBuilder, StringArray, StringArrayType,
    StringBuilder, StringViewBuilder, new_null_array,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion_common::{
    DataFusionError, Result, ScalarValue, exec_datafusion_err, exec_err, internal_err, plan_err,
};
use datafusion_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;
use unicode_normalization::{
    IsNormalized, UnicodeNormalization, is_nfc_quick, is_nfd_quick, is_nfkc_quick, is_nfkd_quick,
};

use super::strings::{StringSink, coerced_string_type};

#[user_doc(
    doc_section(label = "String Functions"),
    description = r#"Normalizes a string to a Unicode normalization form, optionally lowercasing it and collapsing its whitespace.

- `form` is `NFC` (the default), `NFKC`, `NFD` or `NFKD`, in any letter case; any other name is an error. The compatibility forms also fold compatibility characters (`ﬁ` → `fi`, `①` → `1`, no-break space → space).
- `casefold` (default false) lowercases with Unicode's full lowercase mapping, character by character (Rust's `char::to_lowercase`): `İ` becomes `i̇` (i + U+0307), `ẞ` becomes `ß`. It is lowercasing, not case folding: `ß` stays `ß` and final sigma is not special (`ΟΔΟΣ` → `οδοσ`). The text is normalized, lowercased, then normalized again, so the result is in the requested form.
- `collapse_ws` (default false) trims leading and trailing whitespace and replaces every run of whitespace inside with one ASCII space. Whitespace is Unicode's White_Space property (Rust's `char::is_whitespace`): tab, line feed, vertical tab, form feed, carriage return, space, U+0085, no-break space, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F and U+3000. It applies after normalization.

The result has the type of `s` (Utf8, LargeUtf8 or Utf8View). ASCII text is left as it is by every normal form, so it skips normalization; text already in the requested form (by Unicode's quick check) is copied. If any argument is NULL the result is NULL."#,
    syntax_example = "utf8_normalize(str[, form[, casefold[, collapse_ws]]])",
    sql_example = r#"```sql
> select utf8_normalize('ﬁ  Café ', 'NFKC', true, true) as normalized, utf8_normalize('ﬁ') as nfc_keeps_ligature;
+------------+--------------------+
| normalized | nfc_keeps_ligature |
+------------+--------------------+
| fi café    | ﬁ                  |
+------------+--------------------+
```"#,
    argument(
        name = "str",
        description = "String expression to normalize: Utf8, LargeUtf8 or Utf8View."
    ),
    argument(
        name = "form",
        description = "Normalization form: 'NFC' (default), 'NFKC', 'NFD' or 'NFKD', case-insensitive."
    ),
    argument(
        name = "casefold",
        description = "Boolean, default false: lowercase the text (`char::to_lowercase`)."
    ),
    argument(
        name = "collapse_ws",
        description = "Boolean, default false: trim, and collapse runs of Unicode whitespace to one ASCII space."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Utf8NormalizeFunc {
    signature: Signature,
}

impl Default for Utf8NormalizeFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl Utf8NormalizeFunc {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const NAME: &str = "utf8_normalize";
const ARGUMENTS: [&str; 4] = ["str", "form", "casefold", "collapse_ws"];

fn check_arity(count: usize) -> Result<()> {
    if !(1..=4).contains(&count) {
        return plan_err!(
            "{NAME} expects 1 to 4 arguments (str[, form[, casefold[, collapse_ws]]]), got {count}"
        );
    }
    Ok(())
}

/// A Unicode normalization form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Nfc,
    Nfkc,
    Nfd,
    Nfkd,
}

impl Form {
    /// The form named `name`, in any letter case.
    pub fn parse(name: &str) -> Option<Self> {
        [
            ("NFC", Self::Nfc),
            ("NFKC", Self::Nfkc),
            ("NFD", Self::Nfd),
            ("NFKD", Self::Nfkd),
        ]
        .into_iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, form)| form)
    }

    fn unknown(name: &str) -> String {
        format!(
            "{NAME}: unknown normalization form '{name}'; expected one of 'NFC', 'NFKC', 'NFD', 'NFKD'"
        )
    }

    /// True when `s` is surely in this form (Unicode's quick check says yes).
    fn is_normalized_quick(self, s: &str) -> bool {
        let check = match self {
            Self::Nfc => is_nfc_quick(s.chars()),
            Self::Nfkc => is_nfkc_quick(s.chars()),
            Self::Nfd => is_nfd_quick(s.chars()),
            Self::Nfkd => is_nfkd_quick(s.chars()),
        };
        check == IsNormalized::Yes
    }

    fn normalize_into(self, s: &str, out: &mut String) {
        out.clear();
        match self {
            Self::Nfc => out.extend(s.nfc()),
            Self::Nfkc => out.extend(s.nfkc()),
            Self::Nfd => out.extend(s.nfd()),
            Self::Nfkd => out.extend(s.nfkd()),
        }
    }
}

/// The options of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub form: Form,
    pub casefold: bool,
    pub collapse_ws: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            form: Form::Nfc,
            casefold: false,
            collapse_ws: false,
        }
    }
}

impl ScalarUDFImpl for Utf8NormalizeFunc {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    /// `str` keeps its string type, `form` becomes Utf8, the flags Boolean.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(arg_types.len())?;
        arg_types
            .iter()
            .zip(ARGUMENTS)
            .map(|(data_type, argument)| match argument {
                "str" => coerced_string_type(NAME, argument, data_type),
                "form" => coerced_string_type(NAME, argument, data_type).map(|_| DataType::Utf8),
                _ => match data_type {
                    DataType::Boolean | DataType::Null => Ok(DataType::Boolean),
                    other => plan_err!("{NAME} expects a boolean for {argument}, got {other}"),
                },
            })
            .collect()
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("{NAME}: return_field_from_args should be called instead")
    }

    /// The type of `str`; an unknown constant form is rejected here, when planning.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        check_arity(args.arg_fields.len())?;
        let data_type = coerced_string_type(NAME, "str", args.arg_fields[0].data_type())?;
        if let Some(Some(form)) = args.scalar_arguments.get(1)
            && let Some(Some(name)) = form.try_as_str()
            && Form::parse(name).is_none()
        {
            return plan_err!("{}", Form::unknown(name));
        }
        let nullable = args
            .arg_fields
            .iter()
            .any(|f| f.is_nullable() || f.data_type().is_null());
        Ok(Arc::new(Field::new(NAME, data_type, nullable)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        check_arity(args.args.len())?;
        let constant = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if constant { 1 } else { args.number_rows };
        let input = string_input(&args.args[0], rows)?;
        let params = Params {
            form: FormParam::try_new(args.args.get(1), rows)?,
            casefold: FlagParam::try_new(args.args.get(2), rows, "casefold")?,
            collapse_ws: FlagParam::try_new(args.args.get(3), rows, "collapse_ws")?,
        };
        let result = normalize(&input, &params)?;
        if constant {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &result, 0,
            )?))
        } else {
            Ok(ColumnarValue::Array(result))
        }
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// `value` as an array of `rows` rows of Utf8, LargeUtf8 or Utf8View.
fn string_input(value: &ColumnarValue, rows: usize) -> Result<ArrayRef> {
    let array = match value {
        ColumnarValue::Scalar(scalar) => scalar.to_array_of_size(rows)?,
        ColumnarValue::Array(array) if array.len() == rows => ArrayRef::clone(array),
        ColumnarValue::Array(array) => {
            return exec_err!("{NAME}: argument has {} rows, expected {rows}", array.len());
        }
    };
    let target = coerced_string_type(NAME, "str", array.data_type())?;
    if &target == array.data_type() {
        return Ok(array);
    }
    Ok(cast(&array, &target)?)
}

/// An option argument as an array of `rows` rows of `target`.
fn option_array(
    value: &ArrayRef,
    rows: usize,
    target: &DataType,
    argument: &str,
) -> Result<ArrayRef> {
    if value.len() != rows {
        return exec_err!(
            "{NAME}: {argument} has {} rows, expected {rows}",
            value.len()
        );
    }
    if value.data_type() == target {
        return Ok(ArrayRef::clone(value));
    }
    cast(value, target).map_err(|e| {
        exec_datafusion_err!(
            "{NAME} expects {target} for {argument}, got {}: {e}",
            value.data_type()
        )
    })
}

/// The `form` argument: one value for the batch whenever every row has the
/// same (constants arrive through FFI as arrays repeating the value), so it is
/// parsed once; else parsed per row.
enum FormParam {
    Constant(Option<Form>),
    PerRow(StringArray),
}

impl FormParam {
    fn try_new(value: Option<&ColumnarValue>, rows: usize) -> Result<Self> {
        let array = match value {
            None => return Ok(Self::Constant(Some(Form::Nfc))),
            Some(ColumnarValue::Scalar(scalar)) => {
                return match scalar.try_as_str() {
                    Some(Some(name)) => Form::parse(name)
                        .map(|form| Self::Constant(Some(form)))
                        .ok_or_else(|| DataFusionError::Execution(Form::unknown(name))),
                    Some(None) => Ok(Self::Constant(None)),
                    None if scalar.is_null() => Ok(Self::Constant(None)),
                    None => exec_err!(
                        "{NAME} expects a string for form, got {}",
                        scalar.data_type()
                    ),
                };
            }
            Some(ColumnarValue::Array(array)) => {
                option_array(array, rows, &DataType::Utf8, "form")?
            }
        };
        let names = array.as_string::<i32>();
        if names.null_count() == names.len() {
            return Ok(Self::Constant(None));
        }
        if names.null_count() == 0 {
            let first = names.value(0);
            if (1..names.len()).all(|row| names.value(row) == first) {
                return match Form::parse(first) {
                    Some(form) => Ok(Self::Constant(Some(form))),
                    None => exec_err!("{}", Form::unknown(first)),
                };
            }
        }
        Ok(Self::PerRow(names.clone()))
    }

    fn at(&self, row: usize) -> Result<Option<Form>> {
        match self {
            Self::Constant(form) => Ok(*form),
            Self::PerRow(names) if names.is_null(row) => Ok(None),
            Self::PerRow(names) => {
                let name = names.value(row);
                match Form::parse(name) {
                    Some(form) => Ok(Some(form)),
                    None => exec_err!("{}", Form::unknown(name)),
                }
            }
        }
    }
}

/// A boolean option, constant for the batch when every row has the same.
enum FlagParam {
    Constant(Option<bool>),
    PerRow(BooleanArray),
}

impl FlagParam {
    fn try_new(value: Option<&ColumnarValue>, rows: usize, argument: &str) -> Result<Self> {
        let array = match value {
            None => return Ok(Self::Constant(Some(false))),
            Some(ColumnarValue::Scalar(ScalarValue::Boolean(flag))) => {
                return Ok(Self::Constant(*flag));
            }
            Some(ColumnarValue::Scalar(scalar)) if scalar.is_null() => {
                return Ok(Self::Constant(None));
            }
            Some(ColumnarValue::Scalar(scalar)) => {
                return exec_err!(
                    "{NAME} expects a boolean for {argument}, got {}",
                    scalar.data_type()
                );
            }
            Some(ColumnarValue::Array(array)) => {
                option_array(array, rows, &DataType::Boolean, argument)?
            }
        };
        let flags = array.as_boolean();
        let (len, nulls) = (flags.len(), flags.null_count());
        if nulls == len {
            return Ok(Self::Constant(None));
        }
        if nulls == 0 {
            match flags.true_count() {
                0 => return Ok(Self::Constant(Some(false))),
                count if count == len => return Ok(Self::Constant(Some(true))),
                _ => {}
            }
        }
        Ok(Self::PerRow(flags.clone()))
    }

    #[inline]
    fn at(&self, row: usize) -> Option<bool> {
        match self {
            Self::Constant(flag) => *flag,
            Self::PerRow(flags) if flags.is_null(row) => None,
            Self::PerRow(flags) => Some(flags.value(row)),
        }
    }
}

struct Params {
    form: FormParam,
    casefold: FlagParam,
    collapse_ws: FlagParam,
}

impl Params {
    /// The options when they are the same for every row (`Some(None)`: all NULL).
    fn constant(&self) -> Option<Option<Options>> {
        match (&self.form, &self.casefold, &self.collapse_ws) {
            (
                FormParam::Constant(form),
                FlagParam::Constant(casefold),
                FlagParam::Constant(collapse_ws),
            ) => Some(match (form, casefold, collapse_ws) {
                (Some(form), Some(casefold), Some(collapse_ws)) => Some(Options {
                    form: *form,
                    casefold: *casefold,
                    collapse_ws: *collapse_ws,
                }),
                _ => None,
            }),
            _ => None,
        }
    }

    /// The options of row `row`, `None` when one of them is NULL.
    fn at(&self, row: usize) -> Result<Option<Options>> {
        let Some(form) = self.form.at(row)? else {
            return Ok(None);
        };
        Ok(match (self.casefold.at(row), self.collapse_ws.at(row)) {
            (Some(casefold), Some(collapse_ws)) => Some(Options {
                form,
                casefold,
                collapse_ws,
            }),
            _ => None,
        })
    }
}

fn is_ascii(array: &ArrayRef) -> bool {
    match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().is_ascii(),
        DataType::LargeUtf8 => array.as_string::<i64>().is_ascii(),
        DataType::Utf8View => array.as_string_view().is_ascii(),
        _ => false,
    }
}

fn normalize(input: &ArrayRef, params: &Params) -> Result<ArrayRef> {
    let constant = params.constant();
    match constant {
        // A NULL option for every row: every result is NULL.
        Some(None) => return Ok(new_null_array(input.data_type(), input.len())),
        // Whole-batch fast path: ASCII text is invariant under every normal form.
        Some(Some(options)) if !options.casefold && !options.collapse_ws && is_ascii(input) => {
            return Ok(ArrayRef::clone(input));
        }
        _ => {}
    }
    let rows = input.len();
    match input.data_type() {
        DataType::Utf8 => {
            let strings = input.as_string::<i32>();
            let bytes = strings.values().len();
            run(
                strings,
                params,
                constant,
                StringBuilder::with_capacity(rows, bytes),
            )
        }
        DataType::LargeUtf8 => {
            let strings = input.as_string::<i64>();
            let bytes = strings.values().len();
            run(
                strings,
                params,
                constant,
                LargeStringBuilder::with_capacity(rows, bytes),
            )
        }
        DataType::Utf8View => run(
            input.as_string_view(),
            params,
            constant,
            StringViewBuilder::with_capacity(rows),
        ),
        other => exec_err!("{NAME} expects a string for str, got {other}"),
    }
}

fn run<'a, A: StringArrayType<'a>, S: StringSink>(
    input: A,
    params: &Params,
    constant: Option<Option<Options>>,
    mut sink: S,
) -> Result<ArrayRef> {
    let mut normalizer = Normalizer::default();
    for row in 0..input.len() {
        if input.is_null(row) {
            sink.append_null();
            continue;
        }
        let options = match constant {
            Some(options) => options,
            None => params.at(row)?,
        };
        match options {
            Some(options) => sink.append_value(normalizer.apply(input.value(row), options)),
            None => sink.append_null(),
        }
    }
    Ok(sink.finish_array())
}

/// Applies the options to one string at a time. Its buffers are reused from
/// row to row, so a batch allocates only while they grow.
#[derive(Default)]
pub struct Normalizer {
    normalized: String,
    lowered: String,
    collapsed: String,
}

/// Which buffer holds the text so far.
#[derive(Clone, Copy)]
enum Stage {
    Input,
    Normalized,
    Lowered,
    Collapsed,
}

impl Normalizer {
    fn text<'s>(&'s self, input: &'s str, stage: Stage) -> &'s str {
        match stage {
            Stage::Input => input,
            Stage::Normalized => &self.normalized,
            Stage::Lowered => &self.lowered,
            Stage::Collapsed => &self.collapsed,
        }
    }

    /// `s` with `options` applied: `s` itself when nothing changes it, else
    /// one of this normalizer's buffers.
    pub fn apply<'s>(&'s mut self, s: &'s str, options: Options) -> &'s str {
        let form = options.form;
        let ascii = s.is_ascii();
        let mut stage = Stage::Input;
        // ASCII text is invariant under all four normal forms.
        if !ascii && !form.is_normalized_quick(s) {
            form.normalize_into(s, &mut self.normalized);
            stage = Stage::Normalized;
        }
        if options.casefold {
            let current = match stage {
                Stage::Normalized => &self.normalized,
                _ => s,
            };
            self.lowered.clear();
            if ascii {
                self.lowered.push_str(current);
                self.lowered.make_ascii_lowercase();
                stage = Stage::Lowered;
            } else {
                self.lowered
                    .extend(current.chars().flat_map(char::to_lowercase));
                // Lowercasing can leave text outside the form (İ gives i +
                // U+0307 before any following mark): normalize again.
                if form.is_normalized_quick(&self.lowered) {
                    stage = Stage::Lowered;
                } else {
                    form.normalize_into(&self.lowered, &mut self.normalized);
                    stage = Stage::Normalized;
                }
            }
        }
        if options.collapse_ws {
            let current = match stage {
                Stage::Normalized => &self.normalized,
                Stage::Lowered => &self.lowered,
                _ => s,
            };
            collapse_whitespace(current, &mut self.collapsed);
            stage = Stage::Collapsed;
        }
        self.text(s, stage)
    }
}

/// Trims `s` and replaces each inner run of whitespace with one space.
fn collapse_whitespace(s: &str, out: &mut String) {
    out.clear();
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            pending_space = true;
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        Array, ArrayRef, BooleanArray, DictionaryArray, LargeStringArray, NullArray, StringArray,
        StringViewArray,
    };
    use arrow::datatypes::{DataType, Int32Type};
    use datafusion_common::ScalarValue;
    use datafusion_expr::{ColumnarValue, ReturnFieldArgs, ScalarUDFImpl};
    use unicode_normalization::{is_nfc, is_nfd, is_nfkc, is_nfkd};

    use super::{Form, Normalizer, Options, Utf8NormalizeFunc};
    use crate::test_support::{
        XorShift, assert_slices_match_whole, invoke, invoke_arrays, invoke_unplanned, strings,
    };

    fn scalar(value: Option<&str>) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Utf8(value.map(str::to_string)))
    }

    fn flag(value: Option<bool>) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Boolean(value))
    }

    /// One call on constants, through the function.
    fn normalize(args: Vec<ColumnarValue>) -> Option<String> {
        match invoke(&Utf8NormalizeFunc::new(), args, 1).unwrap() {
            ColumnarValue::Scalar(ScalarValue::Utf8(value)) => value,
            other => panic!("constants give a Utf8 constant, got {other:?}"),
        }
    }

    fn with(s: &str, form: &str, casefold: bool, collapse_ws: bool) -> String {
        normalize(vec![
            scalar(Some(s)),
            scalar(Some(form)),
            flag(Some(casefold)),
            flag(Some(collapse_ws)),
        ])
        .unwrap()
    }

    #[test]
    fn composed_and_decomposed_forms() {
        let composed = "\u{e9}";
        let decomposed = "e\u{301}";
        assert_eq!(normalize(vec![scalar(Some(decomposed))]).unwrap(), composed);
        assert_eq!(with(decomposed, "NFC", false, false), composed);
        assert_eq!(with(composed, "NFD", false, false), decomposed);
        assert_eq!(with(composed, "NFKD", false, false), decomposed);
        assert_eq!(with(decomposed, "NFKC", false, false), composed);
        // Hangul syllables compose and decompose too.
        assert_eq!(
            with("\u{1112}\u{1161}\u{11ab}", "NFC", false, false),
            "\u{d55c}"
        );
        // Canonical reordering of combining marks.
        assert_eq!(
            with("a\u{301}\u{316}", "NFD", false, false),
            "a\u{316}\u{301}"
        );
    }

    #[test]
    fn compatibility_forms_fold_compatibility_characters() {
        assert_eq!(with("\u{fb01}", "NFKC", false, false), "fi");
        assert_eq!(with("\u{fb01}", "NFC", false, false), "\u{fb01}");
        assert_eq!(with("\u{2460}", "NFKD", false, false), "1");
        assert_eq!(with("x\u{b2}", "NFKC", false, false), "x2");
        assert_eq!(with("\u{ff21}", "NFKC", false, false), "A");
        assert_eq!(with("a\u{a0}b", "NFKC", false, false), "a b");
        assert_eq!(with("a\u{a0}b", "NFC", false, false), "a\u{a0}b");
    }

    #[test]
    fn form_names_are_case_insensitive() {
        for name in ["nfkc", "NfKc", "NFKC"] {
            assert_eq!(with("\u{fb01}", name, false, false), "fi", "{name}");
        }
        assert_eq!(Form::parse("nfd"), Some(Form::Nfd));
        assert_eq!(Form::parse("NFX"), None);
        assert_eq!(Form::parse(""), None);
    }

    #[test]
    fn casefold_lowercases_character_by_character() {
        assert_eq!(with("HeLLo", "NFC", true, false), "hello");
        // Turkish dotted capital I: full lowercase mapping, i + combining dot.
        assert_eq!(with("\u{130}", "NFC", true, false), "i\u{307}");
        assert_eq!(with("\u{130}", "NFD", true, false), "i\u{307}");
        // Dotless i is already lowercase; capital I lowercases to plain i.
        assert_eq!(with("I\u{131}", "NFC", true, false), "i\u{131}");
        // Capital sharp s lowercases to ß; ß stays (lowercasing, not folding).
        assert_eq!(with("\u{1e9e}\u{df}", "NFC", true, false), "\u{df}\u{df}");
        // No final-sigma rule: every Σ becomes σ.
        assert_eq!(
            with("\u{39f}\u{394}\u{39f}\u{3a3}", "NFC", true, false),
            "\u{3bf}\u{3b4}\u{3bf}\u{3c3}"
        );
        // Decomposed input is composed after lowercasing.
        assert_eq!(with("E\u{301}", "NFC", true, false), "\u{e9}");
        // NFKC first, then lowercase: the fraktur capital H becomes h.
        assert_eq!(with("\u{210c}", "NFKC", true, false), "h");
    }

    #[test]
    fn collapse_ws_trims_and_collapses_unicode_whitespace() {
        assert_eq!(with("  a \t\n b  ", "NFC", false, true), "a b");
        assert_eq!(
            with(
                "\u{3000}a\u{a0}\u{2003}b\u{85}\u{2028}c\u{b}",
                "NFC",
                false,
                true
            ),
            "a b c"
        );
        assert_eq!(with(" \t\r\n", "NFC", false, true), "");
        assert_eq!(with("", "NFC", false, true), "");
        // Zero-width space is not whitespace.
        assert_eq!(with("a\u{200b}b", "NFC", false, true), "a\u{200b}b");
        assert_eq!(
            with("  \u{fb01}  Caf\u{e9} ", "NFKC", true, true),
            "fi caf\u{e9}"
        );
    }

    #[test]
    fn results_are_in_the_requested_form() {
        let mut random = XorShift::new(17);
        let alphabet = [
            "a", "E", " ", "\u{301}", "\u{316}", "\u{e9}", "\u{130}", "\u{fb01}", "\u{1112}",
            "\u{1161}", "\u{11ab}", "\u{a0}", "\u{3a3}", "\u{210c}", "\u{2460}", "\u{1e9e}",
            "\u{345}", "\u{399}",
        ];
        let mut normalizer = Normalizer::default();
        for _ in 0..2000 {
            let s: String = (0..random.below(8))
                .map(|_| alphabet[random.below(alphabet.len())])
                .collect();
            for form in [Form::Nfc, Form::Nfkc, Form::Nfd, Form::Nfkd] {
                for casefold in [false, true] {
                    let options = Options {
                        form,
                        casefold,
                        collapse_ws: false,
                    };
                    let out = normalizer.apply(&s, options).to_string();
                    let normalized = match form {
                        Form::Nfc => is_nfc(&out),
                        Form::Nfkc => is_nfkc(&out),
                        Form::Nfd => is_nfd(&out),
                        Form::Nfkd => is_nfkd(&out),
                    };
                    assert!(normalized, "{s:?} {options:?} gave {out:?}");
                    // Idempotent.
                    let again = normalizer.apply(&out.clone(), options).to_string();
                    assert_eq!(again, out, "{s:?} {options:?}");
                }
            }
        }
    }

    #[test]
    fn output_type_follows_input_type() {
        let values = vec![Some("e\u{301}"), None, Some("A  b")];
        let inputs: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(values.clone())),
            Arc::new(LargeStringArray::from(values.clone())),
            Arc::new(StringViewArray::from(values.clone())),
        ];
        for input in inputs {
            let rows = input.len();
            let result = invoke_arrays(
                &Utf8NormalizeFunc::new(),
                &[
                    Arc::clone(&input),
                    Arc::new(StringArray::from(vec!["NFC"; rows])),
                    Arc::new(BooleanArray::from(vec![true; rows])),
                    Arc::new(BooleanArray::from(vec![true; rows])),
                ],
            )
            .unwrap();
            assert_eq!(result.data_type(), input.data_type());
            assert_eq!(
                strings(result.as_ref()),
                [Some("\u{e9}".to_string()), None, Some("a b".to_string())]
            );
        }
    }

    #[test]
    fn dictionary_and_null_inputs_are_coerced() {
        let func = Utf8NormalizeFunc::new();
        let dictionary =
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::LargeUtf8));
        assert_eq!(
            func.coerce_types(&[dictionary, DataType::LargeUtf8, DataType::Null])
                .unwrap(),
            [DataType::LargeUtf8, DataType::Utf8, DataType::Boolean]
        );
        assert_eq!(
            func.coerce_types(&[DataType::Null]).unwrap(),
            [DataType::Utf8]
        );

        // Called directly with a dictionary, the function unpacks it.
        let keys: DictionaryArray<Int32Type> = vec![Some("e\u{301}"), None, Some("e\u{301}")]
            .into_iter()
            .collect();
        let keys: ArrayRef = Arc::new(keys);
        let ColumnarValue::Array(result) =
            invoke_unplanned(&func, vec![ColumnarValue::Array(keys)], 3, DataType::Utf8).unwrap()
        else {
            panic!("a column gives a column");
        };
        assert_eq!(
            strings(result.as_ref()),
            [Some("\u{e9}".to_string()), None, Some("\u{e9}".to_string())]
        );

        let nulls = invoke_arrays(&func, &[Arc::new(NullArray::new(2))]).unwrap();
        assert_eq!(nulls.data_type(), &DataType::Utf8);
        assert_eq!(nulls.null_count(), 2);
    }

    #[test]
    fn any_null_argument_gives_null() {
        assert_eq!(normalize(vec![scalar(None)]), None);
        assert_eq!(normalize(vec![scalar(Some("a")), scalar(None)]), None);
        assert_eq!(
            normalize(vec![scalar(Some("a")), scalar(Some("NFC")), flag(None)]),
            None
        );
        assert_eq!(
            normalize(vec![
                scalar(Some("a")),
                scalar(Some("NFC")),
                flag(Some(false)),
                flag(None)
            ]),
            None
        );
        assert_eq!(
            normalize(vec![ColumnarValue::Scalar(ScalarValue::Null)]),
            None
        );

        // Per row.
        let result = invoke_arrays(
            &Utf8NormalizeFunc::new(),
            &[
                Arc::new(StringArray::from(vec!["A", "B", "C", "D"])),
                Arc::new(StringArray::from(vec![
                    Some("NFC"),
                    None,
                    Some("nfd"),
                    Some("NFC"),
                ])),
                Arc::new(BooleanArray::from(vec![
                    Some(true),
                    Some(true),
                    None,
                    Some(false),
                ])),
            ],
        )
        .unwrap();
        assert_eq!(
            strings(result.as_ref()),
            [Some("a".to_string()), None, None, Some("D".to_string())]
        );
    }

    #[test]
    fn options_may_differ_per_row() {
        let rows = ["\u{fb01} X", "\u{fb01} X", "\u{fb01} X", "\u{fb01} X"];
        let result = invoke_arrays(
            &Utf8NormalizeFunc::new(),
            &[
                Arc::new(StringArray::from(rows.to_vec())),
                Arc::new(StringArray::from(vec!["NFC", "NFKC", "nfkc", "NFKD"])),
                Arc::new(BooleanArray::from(vec![false, false, true, true])),
                Arc::new(BooleanArray::from(vec![false, true, false, true])),
            ],
        )
        .unwrap();
        assert_eq!(
            strings(result.as_ref()),
            ["\u{fb01} X", "fi X", "fi x", "fi x"].map(|s| Some(s.to_string()))
        );
    }

    #[test]
    fn constant_options_as_arrays_match_scalars() {
        // Through FFI a constant arrives as an array repeating it.
        let input: ArrayRef = Arc::new(StringArray::from(vec![
            Some("  \u{fb01}  E\u{301} "),
            None,
            Some("ABC"),
        ]));
        let as_arrays = invoke_arrays(
            &Utf8NormalizeFunc::new(),
            &[
                Arc::clone(&input),
                Arc::new(StringArray::from(vec!["nfkc"; 3])),
                Arc::new(BooleanArray::from(vec![true; 3])),
                Arc::new(BooleanArray::from(vec![true; 3])),
            ],
        )
        .unwrap();
        let ColumnarValue::Array(as_scalars) = invoke(
            &Utf8NormalizeFunc::new(),
            vec![
                ColumnarValue::Array(input),
                scalar(Some("nfkc")),
                flag(Some(true)),
                flag(Some(true)),
            ],
            3,
        )
        .unwrap() else {
            panic!("a column gives a column");
        };
        assert_eq!(strings(as_arrays.as_ref()), strings(as_scalars.as_ref()));
        assert_eq!(
            strings(as_arrays.as_ref()),
            [Some("fi \u{e9}".to_string()), None, Some("abc".to_string())]
        );
    }

    #[test]
    fn ascii_batches_are_returned_as_they_are() {
        let input: ArrayRef = Arc::new(StringArray::from(vec![Some("plain ASCII"), None]));
        let result = invoke_arrays(&Utf8NormalizeFunc::new(), &[Arc::clone(&input)]).unwrap();
        assert!(Arc::ptr_eq(&result, &input));
        let result = invoke_arrays(
            &Utf8NormalizeFunc::new(),
            &[
                Arc::clone(&input),
                Arc::new(StringArray::from(vec!["NFKD"; 2])),
            ],
        )
        .unwrap();
        assert!(Arc::ptr_eq(&result, &input));
    }

    #[test]
    fn unknown_form_is_an_error_naming_the_accepted_forms() {
        let expected = "utf8_normalize: unknown normalization form 'NFX'; expected one of 'NFC', 'NFKC', 'NFD', 'NFKD'";
        // A constant: when planning.
        let form = ScalarValue::from("NFX");
        let fields = [
            Arc::new(arrow::datatypes::Field::new("s", DataType::Utf8, true)),
            Arc::new(arrow::datatypes::Field::new("f", DataType::Utf8, true)),
        ];
        let error = Utf8NormalizeFunc::new()
            .return_field_from_args(ReturnFieldArgs {
                arg_fields: &fields,
                scalar_arguments: &[None, Some(&form)],
            })
            .unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
        // A column: when executing, uniform or not.
        for forms in [vec!["NFX", "NFX"], vec!["NFC", "NFX"]] {
            let error = invoke_arrays(
                &Utf8NormalizeFunc::new(),
                &[
                    Arc::new(StringArray::from(vec!["a", "b"])),
                    Arc::new(StringArray::from(forms)),
                ],
            )
            .unwrap_err();
            assert!(error.to_string().contains(expected), "{error}");
        }
    }

    #[test]
    fn wrong_arguments_are_rejected_when_planning() {
        let func = Utf8NormalizeFunc::new();
        let cases: Vec<(Vec<DataType>, &str)> = vec![
            (vec![], "utf8_normalize expects 1 to 4 arguments"),
            (
                vec![DataType::Utf8; 5],
                "utf8_normalize expects 1 to 4 arguments",
            ),
            (
                vec![DataType::Int64],
                "utf8_normalize expects a string for str, got Int64",
            ),
            (
                vec![DataType::Utf8, DataType::Int32],
                "utf8_normalize expects a string for form, got Int32",
            ),
            (
                vec![DataType::Utf8, DataType::Utf8, DataType::Int64],
                "utf8_normalize expects a boolean for casefold, got Int64",
            ),
            (
                vec![
                    DataType::Utf8,
                    DataType::Utf8,
                    DataType::Boolean,
                    DataType::Utf8,
                ],
                "utf8_normalize expects a boolean for collapse_ws, got Utf8",
            ),
        ];
        for (types, expected) in cases {
            let error = func.coerce_types(&types).unwrap_err();
            assert!(error.to_string().contains(expected), "{types:?}: {error}");
        }
    }

    #[test]
    fn batch_splits_do_not_matter() {
        let mut random = XorShift::new(23);
        let alphabet = [
            "a", "Z", " ", "\t", "\u{301}", "\u{e9}", "\u{130}", "\u{fb01}", "\u{a0}",
        ];
        let rows = 300;
        let input: Vec<Option<String>> = (0..rows)
            .map(|_| {
                (random.below(9) != 0).then(|| {
                    (0..random.below(10))
                        .map(|_| alphabet[random.below(alphabet.len())])
                        .collect()
                })
            })
            .collect();
        let forms: Vec<&str> = (0..rows)
            .map(|_| ["NFC", "NFKC", "NFD", "NFKD"][random.below(4)])
            .collect();
        let casefold: Vec<bool> = (0..rows).map(|_| random.below(2) == 0).collect();
        let collapse: Vec<bool> = (0..rows).map(|_| random.below(2) == 0).collect();
        assert_slices_match_whole(
            &Utf8NormalizeFunc::new(),
            &[
                Arc::new(StringViewArray::from(input)),
                Arc::new(StringArray::from(forms)),
                Arc::new(BooleanArray::from(casefold)),
                Arc::new(BooleanArray::from(collapse)),
            ],
            23,
            strings,
        );
    }
}
