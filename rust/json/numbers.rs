//! Reading JSON numbers: validated against the grammar and the number rule as text, or as an `i64` in one
//! pass. Twin: `loads` in `python/rillm/_json.py` (the same grammar and rules).

use super::{Parser, Peek, Problem, Result, MAX_INT_DIGITS};

impl<'a> Parser<'a> {
    /// The number at the cursor, validated against JSON's grammar and the number rule (`mod.rs`), as its
    /// text: an integer has at most `MAX_INT_DIGITS` digits, and a number with a fraction or exponent is
    /// finite as a double. Only a number that could break the rule is parsed: one with more than 200 digits
    /// before its point or an exponent of three digits or more.
    pub(crate) fn number_token(&mut self) -> Result<&'a str> {
        let start = self.pos;
        let b = self.bytes;
        let first = start + usize::from(b.get(start) == Some(&b'-'));
        let mut i = first;
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i += digits(b, i),
            _ => {
                self.pos = i;
                return self.error(Problem::InvalidNumber);
            }
        }
        let whole = i - first;
        let mut float = false;
        if b.get(i) == Some(&b'.') {
            let n = digits(b, i + 1);
            if n == 0 {
                self.pos = i + 1;
                return self.error(Problem::InvalidNumber);
            }
            i += 1 + n;
            float = true;
        }
        let mut exponent = 0;
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1 + usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
            exponent = digits(b, i);
            if exponent == 0 {
                self.pos = i;
                return self.error(Problem::InvalidNumber);
            }
            i += exponent;
            float = true;
        }
        let text = &self.text[start..i];
        if !float && whole > MAX_INT_DIGITS {
            self.pos = start;
            return self.error(Problem::IntegerTooLong);
        }
        // Below 10^200 times 10^99 a double is finite; past that, parse and see.
        if float && (whole > 200 || exponent > 2) && !text.parse::<f64>().is_ok_and(f64::is_finite) {
            self.pos = start;
            return self.error(Problem::NumberTooLarge);
        }
        self.pos = i;
        Ok(text)
    }

    /// An integer that fits in i64, or null: the run of digits checked, then summed (an `i64` holds any 18
    /// digits; a longer run is summed with checks, negatively, so that `i64::MIN` fits); a fraction or
    /// exponent makes it a float, not an integer.
    #[inline]
    pub(crate) fn int(&mut self) -> Result<Option<i64>> {
        match self.peek()? {
            Peek::Null => return self.literal(b"null").map(|()| None),
            Peek::Number => {}
            _ => return self.error(Problem::ExpectedInteger),
        }
        let start = self.pos;
        let negative = self.bytes[start] == b'-';
        let first = start + usize::from(negative);
        let end = first + digits(self.bytes, first);
        let run = &self.bytes[first..end];
        if run.is_empty() || (run[0] == b'0' && run.len() > 1) {
            self.pos = end.min(first + 1);
            return self.error(Problem::InvalidNumber);
        }
        if let Some(b'.' | b'e' | b'E') = self.bytes.get(end) {
            return self.error(Problem::ExpectedInteger);
        }
        let value = if run.len() <= 18 {
            let n = run.iter().fold(0_i64, |n, &d| n * 10 + i64::from(d - b'0'));
            Some(if negative { -n } else { n })
        } else {
            run.iter()
                .try_fold(0_i64, |n, &d| n.checked_mul(10)?.checked_sub(i64::from(d - b'0')))
                .and_then(|n| if negative { Some(n) } else { n.checked_neg() })
        };
        match value {
            Some(value) => {
                self.pos = end;
                Ok(Some(value))
            }
            None => self.error(Problem::IntegerOutOfRange),
        }
    }
}

#[inline]
fn digits(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_digit()).count())
}
