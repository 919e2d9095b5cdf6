//! Parsing OpenAI's `chat.completion.chunk` JSON in one pass over the bytes.
//!
//! Known keys are typed; every other key is kept as raw JSON in the owner's `extras`, in order (a repeated
//! one too: whoever parses the extras keeps its last value). A known key repeated in one object keeps its
//! last value, as Python's `json` does: each one's value replaces what an earlier one set (an index or a
//! content of null included). A typed read that fails sends the whole chunk to a second read of its text
//! with every repeated key collapsed as Python's `json` collapses them (the last value at the first key's
//! place: `read_chunk`), so that a repeated key whose earlier value has another type reads as on the twin.
//! Values are parsed into their
//! place (a choice straight into the chunk's list, a delta into its choice): these structs are large and
//! moving them showed in profiles. What is kept from one chunk for the next is in `openai_seen.rs`, the
//! delta's reading in `openai_delta.rs`. Twin: `python/rillm/_fallback/decode/openai_wire.py`.

use super::guess::{Keys, Order};
use super::openai_delta::{delta, json, position};
use super::openai_keys::{ChoiceHead, ChoiceKeys, ChoiceTail, ChunkKeys, DeltaKeys, Field};
use super::openai_seen::{Head, Seen, Start, Strings, TailRead, CHOICE_DEPTH};
use crate::chunk::{Choice, Delta, FinishReason, Shared};
use crate::json::{collapse_repeated_keys, JsonError, Key, ObjectBuilder, Parser, Peek, Result};

/// The next key of an object and what it names; `None` past its last.
type Next<'a> = Option<(Key<'a>, Field)>;

/// The top-level chunk as sent. Strings the stream repeats are already shared with earlier chunks.
#[derive(Default)]
pub(crate) struct WireChunk<'a> {
    /// The chunk's own id/model when non-empty.
    pub(crate) id: Option<Shared>,
    pub(crate) model: Option<Shared>,
    pub(crate) created: Option<i64>,
    pub(crate) system_fingerprint: Option<Shared>,
    pub(crate) service_tier: Option<Shared>,
    /// `None` when the key is absent or null.
    pub(crate) choices: Option<Vec<Choice>>,
    /// The first finish reason that is `error` or `abort`: the provider says the stream failed.
    pub(crate) failed_with: Option<String>,
    pub(crate) usage: Option<&'a str>,
    pub(crate) x_groq: Option<&'a str>,
    pub(crate) citations: Option<&'a str>,
    pub(crate) provider_specific_fields: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
    pub(crate) extras: ObjectBuilder,
}

// The head's methods are here, beside the chunk they fill and read (`openai_seen.rs` keeps the head).
impl Head {
    /// Whether `data` begins with this head: then `out` has its values.
    #[inline]
    pub(super) fn starts(&self, data: &str, out: &mut WireChunk<'_>) -> bool {
        if self.text.is_empty() || !data.as_bytes().starts_with(self.text.as_bytes()) {
            return false;
        }
        out.id.clone_from(&self.id);
        out.model.clone_from(&self.model);
        out.created = self.created;
        out.system_fingerprint.clone_from(&self.system_fingerprint);
        out.service_tier.clone_from(&self.service_tier);
        true
    }

    /// Keeps `text` (a chunk's bytes through the colon after `"choices"`) and what `out` read from it, the
    /// chunk's `keys` first keys, unless it is the head already.
    pub(super) fn keep(&mut self, text: &str, keys: usize, out: &WireChunk<'_>) {
        if *self.text == *text {
            return;
        }
        *self = Head {
            text: text.into(),
            keys,
            id: out.id.clone(),
            model: out.model.clone(),
            created: out.created,
            system_fingerprint: out.system_fingerprint.clone(),
            service_tier: out.service_tier.clone(),
        };
    }
}

impl Strings {
    pub(super) fn keep(&mut self, chunk: &WireChunk<'_>) {
        self.id.keep(chunk.id.as_ref());
        self.model.keep(chunk.model.as_ref());
        self.fingerprint.keep(chunk.system_fingerprint.as_ref());
        self.service_tier.keep(chunk.service_tier.as_ref());
    }
}

/// Why a chunk could not be read: `merged` when it was the second read, of the text with its repeated keys
/// collapsed (then the byte offset is in that text).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChunkError {
    pub(crate) error: JsonError,
    pub(crate) merged: bool,
}

impl std::fmt::Display for ChunkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.merged {
            write!(
                f,
                "{} with its repeated keys merged (the last value of each)",
                self.error
            )
        } else {
            self.error.fmt(f)
        }
    }
}

/// Reads the chunk in `data`; when that fails while some object repeats a key, reads it again from the text Python's `json` would see (`collapse_repeated_keys`), kept
/// in `merged`. The first read, failed, kept nothing in `seen`.
pub(crate) fn read_chunk<'a>(
    data: &'a str,
    seen: &mut Seen,
    merged: &'a mut Option<String>,
) -> std::result::Result<WireChunk<'a>, ChunkError> {
    match parse_chunk(data, seen) {
        Ok(chunk) => Ok(chunk),
        Err(error) => {
            let Some(text) = collapse_repeated_keys(data) else {
                return Err(ChunkError { error, merged: false });
            };
            let text: &'a str = merged.insert(text);
            parse_chunk(text, seen).map_err(|error| ChunkError { error, merged: true })
        }
    }
}

fn parse_chunk<'a>(data: &'a str, seen: &mut Seen) -> Result<WireChunk<'a>> {
    let mut out = WireChunk::default();
    let Seen {
        strings,
        keys: all_keys,
        head,
        tail: last_tail,
    } = seen;
    let ChunkKeys { chunk, choices: inner } = &mut **all_keys;
    let resumed = head.starts(data, &mut out);
    let (mut p, mut keys, mut key) = begin(data, resumed.then_some(&**head), chunk)?;
    // Whether every key so far could be part of a head (`Head`).
    let mut in_head = !resumed;
    // Where the text after `choices` begins while it could be part of a tail (`Tail`), and whether a null
    // usage came since.
    let mut tail: Option<TailRead> = None;
    while let Some((k, field)) = key {
        in_head &= field.begins_chunk();
        let (value_at, mut started) = (p.pos(), None);
        if field == Field::Choices {
            if in_head {
                head.keep(&data[..p.pos()], keys.read(), &out);
                in_head = false;
            }
            out.failed_with = None;
            out.choices = choices(&mut p, data, &mut out.failed_with, inner)?;
            let at = p.pos();
            // As for the head: the tail is compared, not parsed.
            if let Some((end, next)) = last_tail.resume(data, at) {
                if last_tail.usage {
                    out.usage = None;
                }
                keys.skip_to(last_tail.keys);
                p = Parser::resumed(data, end, usize::from(next.is_some()));
                key = next;
                // A tail begun after an earlier `choices` (a repeated key) ends here: kept, it would
                // hold this list's text, and a chunk that repeats it would skip the list unread.
                tail = None;
                continue;
            }
            started = Some(TailRead { at, usage: false });
        } else {
            value(&mut p, (&k, field), strings, &mut out)?;
        }
        tail = match (started, tail) {
            (Some(started), _) => Some(started),
            (None, Some(read)) => read.after(last_tail, data, (&k, field), value_at, keys.read(), out.usage.is_none()),
            (None, None) => None,
        };
        key = keys.next_key(&mut p)?;
        if let (None, Some(read)) = (key, tail) {
            read.end(last_tail, data, p.pos(), keys.read());
        }
    }
    p.finish()?;
    strings.keep(&out);
    Ok(out)
}

/// The parser at the chunk's first key to read, the chunk's keys, and that key: past `head` (at `choices`)
/// when the chunk begins with the last chunk's head (`Head::starts`), else at its first key.
#[inline]
fn begin<'a, 'k>(
    data: &'a str,
    head: Option<&Head>,
    order: &'k mut Order<Field>,
) -> Result<(Parser<'a>, Keys<'k, Field>, Next<'a>)> {
    if let Some(head) = head {
        let choices = Some((Key::unescaped("choices"), Field::Choices));
        return Ok((
            Parser::resumed(data, head.text.len(), 1),
            Keys::resumed(order, head.keys),
            choices,
        ));
    }
    let mut p = Parser::new(data);
    let mut keys = Keys::new(order);
    let first = keys.first_key(&mut p)?;
    Ok((p, keys, first))
}

/// A top-level value other than `choices`, read into `out`.
#[inline]
fn value<'a>(
    p: &mut Parser<'a>,
    (k, field): (&Key<'a>, Field),
    strings: &Strings,
    out: &mut WireChunk<'a>,
) -> Result<()> {
    match field {
        Field::Id => out.id = strings.id.read(p, true)?,
        Field::Model => out.model = strings.model.read(p, true)?,
        // Always "chat.completion.chunk" on the way out, whatever was sent (Azure sends "").
        Field::Object => {
            if !p.same_plain_string("chat.completion.chunk") {
                p.any()?;
            }
        }
        Field::Created => out.created = p.int()?,
        Field::SystemFingerprint => out.system_fingerprint = strings.fingerprint.read(p, false)?,
        Field::ServiceTier => out.service_tier = strings.service_tier.read(p, false)?,
        Field::Usage => out.usage = p.raw()?,
        Field::Citations => out.citations = p.raw()?,
        Field::ProviderSpecificFields => out.provider_specific_fields = p.raw()?,
        Field::Error => out.error = p.raw()?,
        field => {
            let value = p.any()?;
            if field == Field::XGroq {
                out.x_groq = Some(value);
            }
            out.extras.push(k, value);
        }
    }
    Ok(())
}

/// `choices`: each choice's default index is its position in the list. `data` is the text `p` reads.
fn choices<'a>(
    p: &mut Parser<'a>,
    data: &'a str,
    failed_with: &mut Option<String>,
    keys: &mut ChoiceKeys,
) -> Result<Option<Vec<Choice>>> {
    if p.peek()? == Peek::Null {
        p.raw()?;
        return Ok(None);
    }
    let mut out: Vec<Choice> = Vec::with_capacity(1);
    let mut more = p.array_start()?;
    while more {
        let position = position(out.len());
        out.push(Choice::default());
        let last = out.len() - 1;
        let start = Start::new(p, data, position, &keys.head);
        choice(p, &mut out[last], position, failed_with, keys, Some(start))?;
        more = p.array_step()?;
    }
    Ok(Some(out))
}

/// One choice, into `choice`; a finish reason of `error` or `abort` is also noted in `failed_with`
/// (the first one wins). `start` is where it begins in a chunk's list (`None` for a choice read alone,
/// which neither uses nor keeps a head).
pub(crate) fn choice<'a>(
    p: &mut Parser<'a>,
    choice: &mut Choice,
    position: i64,
    failed_with: &mut Option<String>,
    keys: &mut ChoiceKeys,
    start: Option<Start<'a>>,
) -> Result<()> {
    let mut finish: Option<String> = None;
    let mut extras = ObjectBuilder::default();
    let ChoiceKeys {
        choice: order,
        delta: inner,
        head,
        tail: last_tail,
    } = keys;
    let resumed = matches!(start, Some(Start { resumed: true, .. }));
    choice.index = if resumed { head.index } else { position };
    let (mut keys, mut key) = begin_choice(p, resumed.then_some(&*head), order)?;
    // Whether every key so far could be part of the choice's head (`ChoiceHead`).
    let mut in_head = start.is_some() && !resumed;
    // Where the text after the last delta begins while every key since could be part of a tail
    // (`ChoiceTail`), and what those keys null.
    let mut tail: Option<(usize, u8)> = None;
    while let Some((k, field)) = key {
        in_head &= matches!(field, Field::Index | Field::Delta);
        let mut nulls = None;
        match field {
            Field::Index => choice.index = p.int()?.unwrap_or(position),
            Field::Delta => {
                if let Some(start) = start.filter(|_| in_head) {
                    head.keep(&start.text[start.at..p.pos()], keys.read(), position, choice.index);
                    in_head = false;
                }
                delta_or_null(p, &mut choice.delta, inner)?;
                if let Some(start) = start {
                    let at = p.pos();
                    // As for the head: the tail is compared, not parsed.
                    if let Some(end) = last_tail.resume((start.text, at), position, &mut choice.logprobs, &mut finish) {
                        *p = Parser::resumed(start.text, end, CHOICE_DEPTH - 1);
                        break;
                    }
                    nulls = Some((at, 0));
                }
            }
            Field::FinishReason => {
                finish = p.string()?;
                nulls = nulled(tail, finish.is_none(), ChoiceTail::FINISH_REASON);
            }
            Field::Logprobs => {
                choice.logprobs = p.raw()?.map(json);
                nulls = nulled(tail, choice.logprobs.is_none(), ChoiceTail::LOGPROBS);
            }
            // Perplexity repeats the whole message on its last chunk; the deltas already carry it.
            Field::Message => drop(p.any()?),
            _ => extras.push(&k, p.any()?),
        }
        tail = nulls;
        key = keys.next_key(p)?;
        if key.is_none() {
            if let (Some(start), Some((at, nulls))) = (start, tail) {
                last_tail.keep(&start.text[at..p.pos()], position, nulls);
            }
        }
    }
    finished(choice, finish, extras, failed_with);
    Ok(())
}

/// The choice's keys and the first one to read: past `head` (at `delta`) when the choice begins with the
/// last choice's head (`Start::resumed`), else its first key.
#[inline]
fn begin_choice<'a, 'k>(
    p: &mut Parser<'a>,
    head: Option<&ChoiceHead>,
    order: &'k mut Order<Field>,
) -> Result<(Keys<'k, Field>, Next<'a>)> {
    if let Some(head) = head {
        return Ok((
            Keys::resumed(order, head.keys),
            Some((Key::unescaped("delta"), Field::Delta)),
        ));
    }
    let mut keys = Keys::new(order);
    let first = keys.first_key(p)?;
    Ok((keys, first))
}

/// The choice's tail read so far (where it began, and the keys it nulls) after a key of it that is `flag`:
/// it goes on when that key was null, and ends otherwise.
#[inline]
fn nulled(tail: Option<(usize, u8)>, null: bool, flag: u8) -> Option<(usize, u8)> {
    tail.filter(|_| null).map(|(at, n)| (at, n | flag))
}

/// A choice's `delta`, into `out` (left empty by a null).
#[inline]
fn delta_or_null(p: &mut Parser<'_>, out: &mut Delta, keys: &mut DeltaKeys) -> Result<()> {
    *out = Delta::default();
    if p.peek()? == Peek::Null {
        p.raw()?;
        return Ok(());
    }
    delta(p, out, keys)
}

/// What a choice's keys leave to be settled once all are read: its extras, and its finish reason, mapped,
/// noted in `failed_with` when it is `error` or `abort` (the first one wins).
fn finished(choice: &mut Choice, finish: Option<String>, extras: ObjectBuilder, failed_with: &mut Option<String>) {
    choice.extras = extras.finish();
    if let Some(finish) = finish {
        if failed_with.is_none() && (finish.eq_ignore_ascii_case("error") || finish.eq_ignore_ascii_case("abort")) {
            *failed_with = Some(finish.clone());
        }
        choice.finish_reason = FinishReason::map(&finish);
    }
}
