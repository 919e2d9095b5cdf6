//! What happens to each decoded chunk on its way to the caller, by the decoder's options: the running
//! merge (`merge`), usage on the finish chunk (`usage_on_finish`), and leaving out chunks without choices
//! (`skip_choiceless`). Twin: `python/rillm/_fallback/merge/delivery.py`.
//!
//! Usage on the finish chunk: a chunk that carries a finish reason is held back, and the chunks that follow
//! it without adding to the message (no choices: a usage chunk, Bedrock's metadata; or, without usage of
//! their own, choices that carry nothing, `Choice::carries_nothing`: Azure's filter results) wait behind it,
//! until the stream ends (its terminator or `finish()`), an error, or the next chunk whose choices carry
//! something. No other chunk is delayed. When one of the chunks that waited reported usage, the held chunk's
//! usage becomes the stream's usage (every report merged, `usage.rs`), so that the last chunk with choices
//! carries the usage even when the provider sends it after the finish reason (`OpenAI`'s `include_usage`,
//! xAI, vLLM, Bedrock). Then the held chunk goes out, then the chunks that waited behind it. With several
//! choices (`n > 1`) each finish chunk is held in turn and goes out when the next chunk with choices arrives;
//! the last one, after which the providers report usage, gets it.
//!
//! Every decoded chunk is merged as it arrives, before it is held or left out, so the merge is always the
//! merge of every chunk decoded so far; the usage put on a held chunk changes nothing in it (see
//! `usage.rs`).

use super::stream::{Merged, StreamMerge};
use super::usage::UsageMerge;
use crate::chunk::{Choice, Chunk, Usage};
use crate::error::{Error, Pos};

/// Receives each chunk for the caller, with the position of its event.
pub type Emit<'e> = dyn FnMut(Chunk, Pos) -> Result<(), Error> + 'e;

#[derive(Debug, Default)]
pub struct Delivery {
    merge: Option<StreamMerge>,
    /// Every usage report merged (kept when merging or holding).
    usage: UsageMerge,
    hold: Option<Hold>,
    skip_choiceless: bool,
}

/// The finish chunk held back, then the chunks without choices that came after it.
#[derive(Debug, Default)]
struct Hold {
    queue: Vec<(Chunk, Pos)>,
    /// Whether a chunk after the held one reported usage.
    usage_after: bool,
}

impl Delivery {
    #[must_use]
    pub fn new(merge: bool, usage_on_finish: bool, skip_choiceless: bool) -> Self {
        Delivery {
            merge: merge.then(StreamMerge::default),
            usage: UsageMerge::default(),
            hold: usage_on_finish.then(Hold::default),
            skip_choiceless,
        }
    }

    /// Whether chunks go straight through (nothing merged or held): the caller may skip `accept`.
    #[must_use]
    pub fn passes_through(&self) -> bool {
        self.merge.is_none() && self.hold.is_none()
    }

    #[must_use]
    pub fn skips_choiceless(&self) -> bool {
        self.skip_choiceless
    }

    /// One decoded chunk. Its usage must be checked (`chunk::Usage`): an unchecked one is left out of the
    /// merge.
    pub fn accept(&mut self, chunk: Chunk, pos: Pos, emit: &mut Emit<'_>) -> Result<(), Error> {
        if !self.passes_through() {
            if let Some(usage) = chunk.usage.as_ref().filter(|u| u.checked) {
                // Checked usage always merges; an error would leave the merge as it was.
                let _ = self.usage.add(usage.json.as_str());
            }
        }
        if let Some(merge) = &mut self.merge {
            merge.add(&chunk);
        }
        if self.hold.is_none() {
            return self.pass(chunk, pos, emit);
        }
        let hold = self.hold.as_mut().expect("checked above");
        if chunk.choices.is_empty() || (!hold.queue.is_empty() && adds_nothing(&chunk)) {
            if hold.queue.is_empty() {
                return self.pass(chunk, pos, emit);
            }
            hold.usage_after |= chunk.usage.is_some();
            hold.queue.push((chunk, pos));
            return Ok(());
        }
        self.release(emit)?;
        if chunk.choices.iter().any(|c| c.finish_reason.is_some()) {
            let hold = self.hold.as_mut().expect("checked above");
            hold.queue.push((chunk, pos));
            return Ok(());
        }
        self.pass(chunk, pos, emit)
    }

    /// Hands on what is held (at the end of the stream, at an error, or when the next chunk whose choices
    /// carry something arrives).
    pub fn release(&mut self, emit: &mut Emit<'_>) -> Result<(), Error> {
        let Some(hold) = &mut self.hold else { return Ok(()) };
        if hold.queue.is_empty() {
            return Ok(());
        }
        let mut queue = std::mem::take(&mut hold.queue);
        if std::mem::take(&mut hold.usage_after) {
            queue[0].0.usage = self.usage.json().map(Usage::checked);
        }
        for (chunk, pos) in queue {
            self.pass(chunk, pos, emit)?;
        }
        Ok(())
    }

    /// The merge of every chunk decoded so far, when merging.
    #[must_use]
    pub fn merged(&self) -> Option<(Merged<'_>, &UsageMerge)> {
        Some((self.merge.as_ref()?.merged(), &self.usage))
    }

    fn pass(&self, chunk: Chunk, pos: Pos, emit: &mut Emit<'_>) -> Result<(), Error> {
        if self.skip_choiceless && chunk.choices.is_empty() {
            return Ok(());
        }
        emit(chunk, pos)
    }
}

/// A chunk with choices that waits behind a held finish chunk: no usage of its own (a later one would
/// replace the stream's usage the held chunk gets) and choices that carry nothing.
fn adds_nothing(chunk: &Chunk) -> bool {
    chunk.usage.is_none() && chunk.choices.iter().all(Choice::carries_nothing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::{Choice, FinishReason, Json};

    fn chunk(content: Option<&str>, finish: bool, usage: Option<&str>) -> Chunk {
        let choices = content.map_or_else(Vec::new, |text| {
            let mut choice = Choice::default();
            choice.delta.content = Some(text.to_owned());
            choice.finish_reason = finish.then_some(FinishReason::Stop);
            vec![choice]
        });
        Chunk {
            id: "c".into(),
            created: 1,
            model: "m".into(),
            system_fingerprint: None,
            service_tier: None,
            choices,
            usage: usage.map(|u| Usage::checked(Json(u.into()))),
            citations: None,
            provider_specific_fields: None,
            extras: None,
        }
    }

    /// What the caller gets: (content, or "-" for a choiceless chunk; usage) of each chunk.
    fn run(delivery: &mut Delivery, chunks: Vec<Chunk>) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        let mut emit = |c: Chunk, _: Pos| {
            let text = c
                .choices
                .first()
                .and_then(|ch| ch.delta.content.clone())
                .unwrap_or("-".into());
            out.push((text, c.usage.map(|u| u.json.as_str().to_owned())));
            Ok(())
        };
        let pos = Pos { event: 0, offset: 0 };
        for c in chunks {
            delivery.accept(c, pos, &mut emit).unwrap();
        }
        delivery.release(&mut emit).unwrap();
        out
    }

    #[test]
    fn the_finish_chunk_waits_for_the_usage_after_it() {
        let mut delivery = Delivery::new(false, true, false);
        let usage = r#"{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}"#;
        let out = run(
            &mut delivery,
            vec![
                chunk(Some("a"), false, None),
                chunk(Some("b"), true, None),
                chunk(None, false, Some(usage)),
            ],
        );
        let expected = vec![
            ("a".to_owned(), None),
            ("b".to_owned(), Some(usage.to_owned())),
            ("-".to_owned(), Some(usage.to_owned())),
        ];
        assert_eq!(out, expected);
    }

    #[test]
    fn an_earlier_finish_chunk_goes_out_with_the_next_choice() {
        let mut delivery = Delivery::new(false, true, true);
        let out = run(
            &mut delivery,
            vec![
                chunk(Some("a"), true, None),
                chunk(None, false, None),
                chunk(Some("b"), true, None),
            ],
        );
        let texts: Vec<_> = out.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["a", "b"]);
    }

    #[test]
    fn choices_that_carry_nothing_wait_behind_the_finish_chunk() {
        // Azure's filter results after the finish chunk, then the usage: the usage still reaches the finish
        // chunk, and the chunks keep their order.
        let mut delivery = Delivery::new(false, true, true);
        let usage = r#"{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}"#;
        let mut filter = chunk(Some("x"), false, None);
        filter.choices[0].delta.content = None;
        filter.choices[0].extras = Some(Json(r#"{"content_filter_results":{}}"#.into()));
        let out = run(
            &mut delivery,
            vec![chunk(Some("a"), true, None), filter, chunk(None, false, Some(usage))],
        );
        let expected = vec![("a".to_owned(), Some(usage.to_owned())), ("-".to_owned(), None)];
        assert_eq!(out, expected);
        // A choice with an empty text carries something: it lets the finish chunk go.
        let mut delivery = Delivery::new(false, true, true);
        let out = run(
            &mut delivery,
            vec![
                chunk(Some("a"), true, None),
                chunk(Some(""), false, None),
                chunk(None, false, Some(usage)),
            ],
        );
        assert_eq!(out, vec![("a".to_owned(), None), (String::new(), None)]);
    }
}
