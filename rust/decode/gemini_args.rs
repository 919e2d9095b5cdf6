//! Gemini's streamed tool arguments (`streamFunctionCallArguments`): each `partialArg` (a `jsonPath` and a
//! string, number, boolean or null value; a string goes on while `willContinue`) is written as JSON text as
//! it arrives, so the fragments concatenate to the arguments object. Twin:
//! `python/rillm/_fallback/decode/gemini_args.py`.

use super::fields::{Bad, Obj, R};
use crate::json::push_json_string;

/// Writes a streamed call's `partialArgs` as JSON text, in the order they arrive: the containers a path
/// needs are opened (and those it leaves closed), so the fragments concatenate to one JSON value.
#[derive(Debug)]
pub(super) struct ArgsWriter {
    pub(super) tool: i64,
    /// The outermost container, once written.
    root: Option<Container>,
    /// The containers open below the root, with the path segment that leads to each.
    open: Vec<(Segment, Container)>,
    /// The path of a string value still being written.
    open_string: Option<Vec<Segment>>,
}

#[derive(Debug, Clone, Copy)]
struct Container {
    array: bool,
    members: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(i64),
}

impl ArgsWriter {
    pub(super) fn new(tool: i64) -> Self {
        ArgsWriter {
            tool,
            root: None,
            open: Vec::new(),
            open_string: None,
        }
    }

    pub(super) fn apply(&mut self, partial: &Obj<'_>, out: &mut String) -> R<()> {
        let path = parse_path(&partial.str("jsonPath")?.unwrap_or_default())?;
        let will_continue = partial.bool("willContinue")? == Some(true);
        let Some(value) = partial_value(partial)? else {
            return Ok(());
        };
        if let Some(open) = self.open_string.take() {
            if open == path {
                if let Value::Text(text) = &value {
                    push_string_body(out, text);
                    if will_continue {
                        self.open_string = Some(open);
                    } else {
                        out.push('"');
                    }
                    return Ok(());
                }
            }
            out.push('"');
        }
        self.open_path(&path, out)?;
        match value {
            Value::Text(text) => {
                out.push('"');
                push_string_body(out, &text);
                if will_continue {
                    self.open_string = Some(path);
                } else {
                    out.push('"');
                }
            }
            Value::Raw(raw) => out.push_str(&raw),
        }
        Ok(())
    }

    /// Writes what comes before the value at `path`: the root the first time, then closes the open
    /// containers `path` leaves and opens those it enters, and writes the member's key or comma.
    fn open_path(&mut self, path: &[Segment], out: &mut String) -> R<()> {
        let (parent, leaf) = path.split_at(path.len() - 1);
        if self.root.is_none() {
            let array = matches!(path[0], Segment::Index(_));
            out.push(if array { '[' } else { '{' });
            self.root = Some(Container { array, members: false });
        }
        let common = self
            .open
            .iter()
            .zip(parent)
            .take_while(|((segment, _), wanted)| segment == *wanted)
            .count();
        while self.open.len() > common {
            if let Some((_, container)) = self.open.pop() {
                out.push(if container.array { ']' } else { '}' });
            }
        }
        for (j, segment) in parent.iter().enumerate().skip(common) {
            self.member(out, segment)?;
            let array = matches!(path[j + 1], Segment::Index(_));
            out.push(if array { '[' } else { '{' });
            self.open.push((segment.clone(), Container { array, members: false }));
        }
        self.member(out, &leaf[0])
    }

    /// Starts a member of the innermost open container: a comma after an earlier one, and its key.
    fn member(&mut self, out: &mut String, segment: &Segment) -> R<()> {
        let container = match self.open.last_mut() {
            Some((_, container)) => container,
            None => self.root.as_mut().expect("the root is written first"),
        };
        if container.array != matches!(segment, Segment::Index(_)) {
            return Err(Bad("`jsonPath`: does not match the arguments written so far".to_owned()));
        }
        if std::mem::replace(&mut container.members, true) {
            out.push(',');
        }
        if let Segment::Key(key) = segment {
            push_json_string(out, key);
            out.push(':');
        }
        Ok(())
    }

    /// What ends the arguments: an open string's quote and every open container (`{}` when nothing came).
    pub(super) fn close(&mut self) -> String {
        let mut out = String::new();
        if self.open_string.take().is_some() {
            out.push('"');
        }
        while let Some((_, container)) = self.open.pop() {
            out.push(if container.array { ']' } else { '}' });
        }
        match self.root.take() {
            Some(root) => out.push(if root.array { ']' } else { '}' }),
            None => out.push_str("{}"),
        }
        out
    }
}

enum Value {
    Text(String),
    /// A number, boolean or null, as JSON text.
    Raw(String),
}

/// A `partialArg`'s value; `None` when it has none.
fn partial_value(partial: &Obj<'_>) -> R<Option<Value>> {
    if partial.has("stringValue") {
        return Ok(partial.string("stringValue")?.map(Value::Text));
    }
    if let Some(raw) = partial.get("numberValue") {
        return number_text(raw).map(|text| Some(Value::Raw(text)));
    }
    if let Some(value) = partial.bool("boolValue")? {
        return Ok(Some(Value::Raw(value.to_string())));
    }
    if partial.contains("nullValue") {
        return Ok(Some(Value::Raw("null".to_owned())));
    }
    Ok(None)
}

/// A JSON number as Python's `json.dumps(json.loads(raw))` writes it, so that both backends agree: an
/// integer as it is (`-0` as `0`), a float in Python's `repr`, a float too large for a double as `null`.
fn number_text(raw: &str) -> R<String> {
    let bad = || Bad("`numberValue`: expected a number".to_owned());
    if !raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Err(bad());
    }
    if !raw.contains(['.', 'e', 'E']) {
        return Ok(if raw == "-0" { "0".to_owned() } else { raw.to_owned() });
    }
    let value: f64 = raw.parse().map_err(|_| bad())?;
    Ok(python_float_repr(value))
}

/// Python's `repr` of a float: the shortest digits that round-trip, positional from 1e-4 up to 1e16,
/// scientific (`1e+16`, `1.5e-07`) outside it; not finite becomes `null`.
fn python_float_repr(value: f64) -> String {
    if !value.is_finite() {
        return "null".to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exponent) {
        // Where the decimal point goes, counted in digits from the left (at most 16).
        let point = exponent + 1;
        if point <= 0 {
            format!("{sign}0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else {
            let point = point.unsigned_abs() as usize;
            if point >= digits.len() {
                format!("{sign}{digits}{}.0", "0".repeat(point - digits.len()))
            } else {
                let (whole, fraction) = digits.split_at(point);
                format!("{sign}{whole}.{fraction}")
            }
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let mantissa = if rest.is_empty() {
            first.to_owned()
        } else {
            format!("{first}.{rest}")
        };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exponent_sign}{:02}", exponent.unsigned_abs())
    }
}

/// A string's escaped body, without its quotes.
fn push_string_body(out: &mut String, text: &str) {
    let start = out.len();
    push_json_string(out, text);
    out.pop();
    out.remove(start);
}

/// A `jsonPath` below `$`: `.name`, `['name']` or `["name"]`, and `[N]` segments.
fn parse_path(path: &str) -> R<Vec<Segment>> {
    let bad = || Bad(format!("`jsonPath`: unsupported path {path:?}"));
    let mut rest = path.strip_prefix('$').ok_or_else(bad)?;
    let mut segments = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return Err(bad());
            }
            segments.push(Segment::Key(after[..end].to_owned()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let quote = after.chars().next().filter(|c| *c == '\'' || *c == '"');
            if let Some(quote) = quote {
                let body = &after[1..];
                let end = body.find(quote).ok_or_else(bad)?;
                let tail = body[end + 1..].strip_prefix(']').ok_or_else(bad)?;
                segments.push(Segment::Key(body[..end].to_owned()));
                rest = tail;
            } else {
                let end = after.find(']').ok_or_else(bad)?;
                let digits = &after[..end];
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                segments.push(Segment::Index(digits.parse().map_err(|_| bad())?));
                rest = &after[end + 1..];
            }
        } else {
            return Err(bad());
        }
    }
    if segments.is_empty() {
        return Err(bad());
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python() {
        for (value, text) in [
            (1e16, "1e+16"),
            (1.5e-7, "1.5e-07"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123.0, "123.0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1.234_567_890_123_456_8e17, "1.2345678901234568e+17"),
            (9_999_999_999_999_998.0, "9999999999999998.0"),
            (1.5e300, "1.5e+300"),
            (-0.0, "-0.0"),
        ] {
            assert_eq!(python_float_repr(value), text);
        }
        assert_eq!(number_text("-0").unwrap(), "0");
        assert_eq!(number_text("1E2").unwrap(), "100.0");
        assert_eq!(number_text("1e400").unwrap(), "null");
    }

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("$.a['b c'][2].d").unwrap(),
            [
                Segment::Key("a".into()),
                Segment::Key("b c".into()),
                Segment::Index(2),
                Segment::Key("d".into())
            ]
        );
        for bad in ["", "$", "a.b", "$..a", "$[x]", "$['a'", "$.a[1"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }
}
