//! Keys and values guessed from the last event: a stream sends the same keys in the same order on every
//! event, and many of the same values (the model, the response id, a usage that has not changed). So a
//! one-pass reader first compares each key whole with the key at its place in the last object of its level
//! (`Keys`), which spares the scan for its closing quote and the lookup of what it is, and a value it reads
//! whole with the last value read there (`Kept`), which spares reading it again. Only a guess: what
//! differs is read as usual and becomes the next guess, so the bytes alone decide what is read. Used by
//! `gemini_text.rs`; `openai_keys.rs` guesses `OpenAI`'s keys the same way. The pure-Python twin reads
//! every event with `json.loads` and has nothing of this.

use std::borrow::Cow;

use crate::json::{Parser, Result};

/// How many keys of an object are remembered: enough for any event a provider sends, few enough that an
/// object with thousands of keys costs no more than that.
const REMEMBERED: usize = 32;

/// A value read whole (its raw JSON text) and what the reader made of it: when the same bytes come again
/// at the same depth, the reader takes what it made then instead of reading them again.
#[derive(Debug, Default)]
pub(super) struct Kept<T> {
    raw: String,
    depth: usize,
    made: Option<T>,
}

impl<T> Kept<T> {
    /// What was made of the value at the cursor when it is the kept one, byte for byte (then consumed).
    #[inline]
    pub(super) fn take<'a>(&self, p: &mut Parser<'a>) -> Option<(&'a str, &T)> {
        let made = self.made.as_ref()?;
        if p.depth() != self.depth {
            return None;
        }
        p.same_value(&self.raw).map(|raw| (raw, made))
    }

    /// Keeps `raw`, a whole value the parser read at its present depth, and what was made of it. A number
    /// is not kept: where it ends depends on the bytes after it, which a comparison of its own does not see.
    pub(super) fn keep(&mut self, p: &Parser<'_>, raw: &str, made: T) {
        if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            self.made = None;
            return;
        }
        self.raw.clear();
        self.raw.push_str(raw);
        self.depth = p.depth();
        self.made = Some(made);
    }
}

/// The members of the last object read at one level of an event, in order: the guesses for the next
/// object's. Each is kept as its lead, the text from the brace or comma before it through its key, colon
/// and the whitespace after, with what its key is (`F`, told by the level's `classify` from the key's name)
/// and the last value read whole there.
pub(super) struct Order<F> {
    classify: fn(&str) -> F,
    members: Vec<Member<F>>,
}

struct Member<F> {
    lead: Box<[u8]>,
    field: F,
    value: Kept<()>,
}

impl<F> Order<F> {
    pub(super) fn new(classify: fn(&str) -> F) -> Self {
        Order {
            classify,
            members: Vec::new(),
        }
    }
}

impl<F> std::fmt::Debug for Order<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let leads: Vec<_> = self.members.iter().map(|m| String::from_utf8_lossy(&m.lead)).collect();
        f.debug_tuple("Order").field(&leads).finish()
    }
}

/// Reads the keys of one object, each guessed from the same place in `order`.
pub(super) struct Keys<'o, F> {
    order: &'o mut Order<F>,
    /// How many keys were read.
    at: usize,
    /// Whether the member at `at - 1` in `order` is the one read last (not one past `REMEMBERED`).
    placed: bool,
}

impl<'o, F: Copy> Keys<'o, F> {
    pub(super) fn new(order: &'o mut Order<F>) -> Self {
        Keys {
            order,
            at: 0,
            placed: false,
        }
    }

    /// What the first key of the object that must come next is; `None` when the object is empty.
    #[inline]
    pub(super) fn first(&mut self, p: &mut Parser<'_>) -> Result<Option<F>> {
        self.key(p, true)
    }

    /// What the next key of the object is; `None` at its end.
    #[inline]
    pub(super) fn next(&mut self, p: &mut Parser<'_>) -> Result<Option<F>> {
        self.key(p, false)
    }

    /// The object's opening brace (`opens`) or the comma or brace after a member, then the key and its
    /// colon, compared whole with the guess at this place first.
    #[inline]
    fn key(&mut self, p: &mut Parser<'_>, opens: bool) -> Result<Option<F>> {
        let at = self.at;
        self.at += 1;
        if let Some(member) = self.order.members.get(at) {
            if p.lead_if(&member.lead, opens)? {
                self.placed = true;
                return Ok(Some(member.field));
            }
        }
        p.skip_ws();
        let start = p.pos();
        let more = if opens { p.object_start()? } else { p.object_step()? };
        if !more {
            return Ok(None);
        }
        self.read_key(p, start, at).map(Some)
    }

    /// The key after the brace or comma at `start`, read token by token; the member becomes the guess at
    /// its place.
    #[cold]
    fn read_key(&mut self, p: &mut Parser<'_>, start: usize, at: usize) -> Result<F> {
        let key = p.key()?;
        let field = match key.name() {
            Cow::Borrowed(name) => (self.order.classify)(std::str::from_utf8(name).unwrap_or_default()),
            Cow::Owned(name) => (self.order.classify)(&String::from_utf8_lossy(&name)),
        };
        p.skip_ws();
        self.placed = at <= self.order.members.len() && at < REMEMBERED;
        if self.placed {
            let member = Member {
                lead: p.since(start).as_bytes().into(),
                field,
                value: Kept::default(),
            };
            if at < self.order.members.len() {
                self.order.members[at] = member;
            } else {
                self.order.members.push(member);
            }
        }
        Ok(field)
    }

    /// The value of the key just read, as raw JSON: compared whole with the last value read at its place
    /// first, and kept for the next object's when it differs.
    #[inline]
    pub(super) fn raw<'a>(&mut self, p: &mut Parser<'a>) -> Result<&'a str> {
        if !self.placed {
            return p.any();
        }
        let kept = &mut self.order.members[self.at - 1].value;
        if let Some((raw, ())) = kept.take(p) {
            return Ok(raw);
        }
        let raw = p.any()?;
        kept.keep(p, raw, ());
        Ok(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::{Keys, Order};
    use crate::json::Parser;

    /// What a key is: its name when it is one of these, so that a wrong guess reads as another key.
    fn classify(key: &str) -> &'static str {
        ["id", "model", "n", "t", "k1", "k99"]
            .into_iter()
            .find(|name| *name == key)
            .unwrap_or("other")
    }

    type Read = Option<Vec<(&'static str, String)>>;

    /// What the keys of an object are, and their values, read with guesses from `order`.
    fn guessed(text: &str, order: &mut Order<&'static str>) -> Read {
        let mut p = Parser::new(text);
        let mut keys = Keys::new(order);
        let mut out = Vec::new();
        let mut key = keys.first(&mut p).ok()?;
        while let Some(field) = key {
            out.push((field, keys.raw(&mut p).ok()?.to_owned()));
            key = keys.next(&mut p).ok()?;
        }
        p.finish().ok()?;
        Some(out)
    }

    /// The same, read without guesses.
    fn plain(text: &str) -> Read {
        let mut p = Parser::new(text);
        let mut out = Vec::new();
        let mut key = p.first_key().ok()?;
        while let Some(k) = key {
            let name = String::from_utf8(k.name().into_owned()).ok()?;
            out.push((classify(&name), p.any().ok()?.to_owned()));
            key = p.next_key().ok()?;
        }
        p.finish().ok()?;
        Some(out)
    }

    #[test]
    fn guessed_keys_and_values_read_as_unguessed_ones_whatever_the_last_object_had() {
        let objects = [
            r#"{"id":"a","model":[1,{"x":null}],"n":3,"t":true}"#,
            r#"{"id":"a","model":[1,{"x":null}],"n":3,"t":true}"#,
            r#" { "id" :"ab","model":[1,{"x":null}]  ,"n":34,"t":truex}"#,
            r#"{"id":"a"x,"model":1}"#,
            r#"{"id":"a","model":[1,{"x":null}],"n":3,"t":tru"#,
            r#"{"id":"a","model":[1,{"x":null}],"n":3.5,"t":true}"#,
            r#"{"id":"a","model":[1,{"x":null}],"n":3,"t":true}"#,
            r#"{"i\u0064":"b","model":[1,{"x":null}],"n":3,"t":true}"#,
            r#"{"i\u0064":"b","model":[1,{"x":null}],"n":3,"t":true}"#,
            r#"{"id":"a\"","model":[1,{"x":null}]]}"#,
            r#"{"model":"a","id":[1,{"x":null}]}"#,
            r#"{"model":"a","id":[1,{"x":null}]}"#,
            r#"{"model":"a" "id":[1,{"x":null}]}"#,
            r#"{"model":"a","id"}"#,
            r#"{"model":"a","id":}"#,
            "{}",
            r#"{"id":"a"}"#,
            r#"["id","a"]"#,
            r#"{"id":"a"}"#,
            r#"{"id":"a","id":"a"}"#,
        ];
        let mut order = Order::new(classify);
        for text in objects {
            assert_eq!(guessed(text, &mut order), plain(text), "{text}");
        }
        let wide = format!(
            "{{{}}}",
            (0..100)
                .map(|i| format!("\"k{i}\":[{i}]"))
                .collect::<Vec<_>>()
                .join(",")
        );
        for _ in 0..2 {
            assert_eq!(guessed(&wide, &mut order), plain(&wide));
        }
        assert!(order.members.len() <= super::REMEMBERED);
    }

    #[test]
    fn a_kept_value_is_taken_only_at_its_depth() {
        let mut order = Order::new(classify);
        guessed(r#"{"n":[[1]]}"#, &mut order);
        let mut p = Parser::new(r#"[{"n":[[1]]}]"#);
        p.array_start().unwrap();
        let mut keys = Keys::new(&mut order);
        keys.first(&mut p).unwrap();
        assert!(keys.order.members[0].value.take(&mut p).is_none());
        assert!(keys.raw(&mut p).is_ok());
    }

    #[test]
    fn a_guessed_object_is_as_deep_as_an_unguessed_one() {
        use crate::json::MAX_DEPTH;
        let mut order = Order::new(classify);
        guessed(r#"{"n":1}"#, &mut order);
        for arrays in [MAX_DEPTH - 1, MAX_DEPTH] {
            let text = format!("{}{{\"n\":1}}{}", "[".repeat(arrays), "]".repeat(arrays));
            let (mut p, mut unguessed) = (Parser::new(&text), Parser::new(&text));
            for _ in 0..arrays {
                p.array_start().unwrap();
                unguessed.array_start().unwrap();
            }
            let got = Keys::new(&mut order).first(&mut p).map(|field| field.is_some());
            assert_eq!(got, unguessed.first_key().map(|key| key.is_some()), "{arrays}");
            assert_eq!(p.depth(), unguessed.depth());
        }
    }
}
