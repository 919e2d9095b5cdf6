//! The one-pass readers of the usual Gemini, Cohere v2 and Ollama events (`gemini_text.rs`,
//! `cohere.rs::content_delta`, `ollama.rs::text_line`) against the field-by-field reading they stand in
//! for, and the `OpenAI` reader with what it guesses from the last chunk (`guess.rs`, the heads and tails
//! of `openai_seen.rs`) against the same reader with nothing guessed: every recorded stream, and events of
//! the usual shapes changed one way each (repeated and escaped keys, nulls, values of other types, extra
//! keys, broken JSON), decode to the same chunks, the same errors and the same end state either way.

use std::path::PathBuf;

use super::cohere::CohereDecoder;
use super::dialect::Dialect;
use super::gemini::GeminiDecoder;
use super::ollama::OllamaDecoder;
use super::{Options, Sink};
use crate::chunk::Chunk;
use crate::error::{Error, Pos};
use crate::framing::{Event, Flow};

mod openai;

/// Each event's chunks and flow, up to the first error; then whether the stream could end there.
type Outcome = (Vec<Result<(Vec<Chunk>, Flow), Error>>, bool);

fn options() -> Options {
    Options {
        model: "m".to_owned(),
        id: "chatcmpl-x".to_owned(),
        created: 1,
        max_event_bytes: 1 << 20,
    }
}

fn run<D: Dialect>(
    payloads: &[String],
    mut step: impl FnMut(&mut D, &str, Pos, &mut Sink<'_>) -> Result<Flow, Error>,
) -> Outcome {
    let mut decoder = D::new(&options());
    let mut out = Vec::new();
    for (i, data) in payloads.iter().enumerate() {
        let pos = Pos {
            event: i as u64,
            offset: 0,
        };
        let mut chunks = Vec::new();
        let result = step(&mut decoder, data, pos, &mut |chunk, _| {
            chunks.push(chunk);
            Ok(())
        });
        let failed = result.is_err();
        out.push(result.map(|flow| (chunks, flow)));
        if failed {
            break;
        }
    }
    (out, decoder.complete())
}

fn through_decode<D: Dialect>(payloads: &[String]) -> Outcome {
    run::<D>(payloads, |d, data, pos, sink| {
        d.decode(Event::data(data.as_bytes(), pos), sink)
    })
}

/// The `data:` payloads (SSE) or lines (NDJSON) of every recording in `tests/fixtures/streams/<folder>`.
fn recorded(folder: &str) -> Vec<(String, Vec<String>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/streams")
        .join(folder);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap().replace("\r\n", "\n");
        let sse = path.extension().is_some_and(|e| e == "sse");
        let payloads = text
            .lines()
            .filter_map(|line| if sse { line.strip_prefix("data: ") } else { Some(line) })
            .filter(|line| !line.trim().is_empty() && !line.starts_with("[DONE]"))
            .map(str::to_owned)
            .collect();
        out.push((path.display().to_string(), payloads));
    }
    assert!(!out.is_empty(), "{folder}");
    out
}

/// Every recording of `folders`, and `usual` between `before` and `after` as it is and changed each way in `changes`
/// (`(from, to)`: the first `from` in it replaced), decode the same both ways. Each variant comes twice and
/// again after `before`, so that what a reader guesses from the last event (`guess.rs`) is tried against
/// the usual event and the variant alike, right or wrong.
fn same_both_ways<D: Dialect>(
    folders: &[&str],
    general: impl Fn(&mut D, &str, Pos, &mut Sink<'_>) -> Result<Flow, Error> + Copy,
    frame: [&str; 3],
    changes: &[(&str, &str)],
) {
    for (name, payloads) in folders.iter().flat_map(|&folder| recorded(folder)) {
        assert_eq!(through_decode::<D>(&payloads), run::<D>(&payloads, general), "{name}");
    }
    let [before, usual, after] = frame;
    for &(from, to) in std::iter::once(&("", "")).chain(changes) {
        assert!(usual.contains(from), "{from}");
        let variant = usual.replacen(from, to, 1);
        let payloads = [before, &variant, &variant, before, &variant, after].map(str::to_owned);
        assert_eq!(
            through_decode::<D>(&payloads),
            run::<D>(&payloads, general),
            "{variant}"
        );
    }
}

/// The usual Gemini response changed one way each.
const GEMINI_CHANGES: &[(&str, &str)] = &[
    (r#""text": "The""#, r#""text": "The","thought": true"#),
    (
        r#""text": "The""#,
        r#""text": "The","thought": false,"thoughtSignature": "c2ln""#,
    ),
    (r#""text": "The""#, r#""text": "The","thoughtSignature": 5"#),
    (r#""text": "The""#, r#""text": "The","thoughtSignature": null"#),
    (r#""text": "The""#, r#""text": "The","thought": null"#),
    (r#""text": "The""#, r#""text": "The","thought": "yes""#),
    (r#""text": "The""#, r#""text": null"#),
    (r#""text": "The""#, r#""text": 7"#),
    (r#""text": "The""#, r#""text": "The","text": "Then""#),
    (r#""text": "The""#, r#""t\u0065xt": "The""#),
    (
        r#""text": "The""#,
        r#""text": "The","functionCall": {"name": "f","args": {}}"#,
    ),
    (
        r#"{"text": "The"}"#,
        r#"{"text": "The"},{"executableCode": {"code": "1"}},{"text": "!"}"#,
    ),
    (r#"{"text": "The"}"#, r#"{"text": "The"},5"#),
    (r#"[{"text": "The"}]"#, "[]"),
    (r#"[{"text": "The"}]"#, "null"),
    (r#""role": "model""#, r#""role": "model","parts": []"#),
    (r#"{"content": {"parts""#, r#"{"content": null,"x": {"parts""#),
    (r#""index": 0"#, r#""index": 1"#),
    (r#""index": 0"#, r#""index": null"#),
    (r#""index": 0"#, r#""index": 0.5"#),
    (r#""index": 0"#, r#""index": 0,"index": 1"#),
    (
        r#""index": 0"#,
        r#""index": 0,"finishReason": "SAFETY","safetyRatings": [{"x": 1}]"#,
    ),
    (
        r#""index": 0"#,
        r#""index": 0,"finishReason": "STOP","safetyRatings": [{"x": 1}]"#,
    ),
    (
        r#""index": 0"#,
        r#""index": 0,"finishReason": "","groundingMetadata": {}"#,
    ),
    (r#""index": 0"#, r#""index": 0,"finishReason": 1"#),
    (
        r#""index": 0"#,
        r#""index": 0,"citationMetadata": null,"avgLogprobs": -0.5"#,
    ),
    (
        r#""index": 0}]"#,
        r#""index": 0},{"content": {"parts": [{"text": "b"}]},"index": 1}]"#,
    ),
    (r#""candidatesTokenCount": 1"#, r#""candidatesTokenCount": null"#),
    (r#""candidatesTokenCount": 1"#, r#""candidatesTokenCount": 1.0"#),
    (
        r#""candidatesTokenCount": 1"#,
        r#""candidatesTokenCount": 99999999999999999999"#,
    ),
    (
        r#""candidatesTokenCount": 1"#,
        r#""candidatesTokenCount": 1,"candidatesTokenCount": 2"#,
    ),
    (
        r#""candidatesTokenCount": 1"#,
        r#""thoughtsTokenCount": 4,"cachedContentTokenCount": 2"#,
    ),
    (
        r#""totalTokenCount": 16"#,
        r#""totalTokenCount": 20,"thoughtsTokenCount": 4"#,
    ),
    (
        r#""usageMetadata": {"#,
        r#""usageMetadata": {"toolUsePromptTokenCount": 9,"#,
    ),
    (r#""usageMetadata": {"#, r#""usageMetadata": null,"u": {"#),
    (r#""usageMetadata": {"#, r#""usageMetadata": [],"u": {"#),
    (r#""modelVersion": "gemini-2.5-flash""#, r#""modelVersion": null"#),
    (r#""modelVersion": "gemini-2.5-flash""#, r#""modelVersion": 2"#),
    (
        r#""modelVersion": "gemini-2.5-flash""#,
        r#""modelVersion": "a","modelVersion": "b""#,
    ),
    (r#""responseId": "w1peaMz6INOvnvgPgYfPiQY""#, r#""responseId": """#),
    (
        r#""responseId": "w1peaMz6INOvnvgPgYfPiQY""#,
        r#""responseId": "r","error": {"code": 1}"#,
    ),
    (
        r#""responseId": "w1peaMz6INOvnvgPgYfPiQY""#,
        r#""responseId": "r","error": null"#,
    ),
    (
        r#""responseId""#,
        r#""promptFeedback": {"blockReason": "SAFETY"},"responseId""#,
    ),
    (
        r#""responseId""#,
        r#""createTime": "2025-01-01T00:00:00Z","responseId""#,
    ),
    (r#""role": "model""#, r#""role": "mod\u0065l""#),
    (r#""role": "model""#, r#""role": "user""#),
    (r#""modality": "TEXT""#, r#""modality": "IMAGE""#),
    (r#""usageMetadata": {"#, r#""usageMetadata":  { "#),
    (r#""usageMetadata": {"#, r#""usageMetadata": {"promptTokenCount": 15,"#),
    (r#""candidatesTokenCount": 1"#, r#""c\u0061ndidatesTokenCount": 1"#),
    (r#""index": 0}]"#, r#""index": 0} ]"#),
    (r#"{"candidates""#, r#" { "candidates""#),
    (r#""responseId": "w1pe"#, r#""responseId": "w1p\u0065"#),
    ("]}", "]} x"),
    ("]}", "]"),
    (r#""The""#, r#""The\u00e9\ud83d\ude00""#),
    (r#""The""#, r#""\ud800""#),
];

#[test]
fn gemini_reads_the_same_in_one_pass() {
    let usual = r#"{"candidates": [{"content": {"parts": [{"text": "The"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 15,"candidatesTokenCount": 1,"totalTokenCount": 16,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 15}]},"modelVersion": "gemini-2.5-flash","responseId": "w1peaMz6INOvnvgPgYfPiQY"}"#;
    // Read in one pass, again with what the first reading guessed.
    let mut guesses = super::gemini_text::Guesses::default();
    for _ in 0..2 {
        let response = super::gemini_text::read(usual, &mut guesses).expect("the usual response is read in one pass");
        assert_eq!(response.counts, Some([Some(15), Some(1), Some(16), None, None, None]));
        assert_eq!(response.model.as_deref(), Some("gemini-2.5-flash"));
        assert_eq!(response.candidate.parts.text, "The");
    }
    let last = usual.replace(r#""index": 0"#, r#""finishReason": "STOP","index": 0"#);
    same_both_ways::<GeminiDecoder>(
        &["google"],
        |d, data, pos, sink| d.general(data, pos, sink),
        [usual, usual, &last],
        GEMINI_CHANGES,
    );
}

#[test]
fn cohere_reads_the_same_in_one_pass() {
    let usual = r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"The"}}}}"#;
    assert!(
        super::cohere::content_delta(usual).is_some(),
        "the usual event is read in one pass"
    );
    let start = r#"{"id":"6cd6","type":"message-start","delta":{"message":{"role":"assistant"}}}"#;
    let end = r#"{"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"tokens":{"input_tokens":1,"output_tokens":2}}}}"#;
    same_both_ways::<CohereDecoder>(
        &["cohere"],
        |d, data, pos, sink| d.general(data, b"", pos, sink),
        [start, usual, end],
        &[
            (r#""text":"The""#, r#""thinking":"The""#),
            (r#""text":"The""#, r#""text":"","thinking":"""#),
            (r#""text":"The""#, r#""text":null"#),
            (r#""text":"The""#, r#""text":1"#),
            (r#""text":"The""#, r#""text":"a","text":"b""#),
            (r#""text":"The""#, r#""text":"a","type":"text""#),
            (r#""text":"The""#, r#""t\u0065xt":"The""#),
            (r#"{"text":"The"}"#, "null"),
            (r#"{"text":"The"}"#, "{}"),
            (r#"{"content":{"text":"The"}}"#, r#"{"content":{"text":"The"},"x":1}"#),
            (r#"{"message":{"content""#, r#"{"x":1,"message":{"content""#),
            (r#""type":"content-delta""#, r#""type":"content-start""#),
            (r#""type":"content-delta""#, r#""type":null"#),
            (
                r#""type":"content-delta""#,
                r#""event_type":"text-generation","text":"x""#,
            ),
            (
                r#""type":"content-delta""#,
                r#""type":"content-delta","type":"content-end""#,
            ),
            (r#""type":"content-delta""#, r#""typ\u0065":"x","type":"content-delta""#),
            (r#""index":0"#, r#""index":null"#),
            (r#""index":0"#, r#""index":"0""#),
            (r#""index":0"#, r#""index":0,"index":1"#),
            (r#""index":0"#, r#""index":0,"id":"x""#),
            (r#""delta":{"#, r#""delta":null,"d":{"#),
            ("}}}}", "}}}} x"),
            ("}}}}", "}}}"),
        ],
    );
}

#[test]
fn ollama_reads_the_same_in_one_pass() {
    let usual = r#"{"model":"gemma3:1b","created_at":"2025-08-20T13:48:24.316155Z","message":{"role":"assistant","content":"The"},"done":false}"#;
    assert!(
        super::ollama::text_line(usual).is_some(),
        "the usual line is read in one pass"
    );
    let done = r#"{"model":"gemma3:1b","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"prompt_eval_count":1,"eval_count":2}"#;
    same_both_ways::<OllamaDecoder>(
        &["ollama"],
        |d, data, pos, sink| d.general(data, pos, sink),
        [usual, usual, done],
        &[
            (r#""content":"The""#, r#""content":"","thinking":"hm""#),
            (r#""content":"The""#, r#""content":"a <think>b</th""#),
            (r#""content":"The""#, r#""content":"<thi""#),
            (r#""content":"The""#, r#""content":null"#),
            (r#""content":"The""#, r#""content":1"#),
            (r#""content":"The""#, r#""content":"a","content":"b""#),
            (r#""content":"The""#, r#""c\u006fntent":"The""#),
            (r#""content":"The""#, r#""content":"The","thinking":2"#),
            (r#""content":"The""#, r#""content":"The","images":null"#),
            (
                r#""content":"The""#,
                r#""content":"","tool_calls":[{"function":{"name":"f","arguments":{}}}]"#,
            ),
            (r#""content":"The""#, r#""content":"","tool_calls":[]"#),
            (r#""message":{"#, r#""message":null,"m":{"#),
            (r#""message":{"#, r#""message":{"content":"x"},"message":{"#),
            (r#""model":"gemma3:1b""#, r#""model":null"#),
            (r#""model":"gemma3:1b""#, r#""model":"""#),
            (r#""model":"gemma3:1b""#, r#""model":3"#),
            (r#""model":"gemma3:1b""#, r#""model":"a","model":"b""#),
            (r#""done":false"#, r#""done":true"#),
            (r#""done":false"#, r#""done":null"#),
            (r#""done":false"#, r#""done":0"#),
            (r#""done":false"#, r#""done":false,"done":true"#),
            (r#""done":false"#, r#""done":false,"error":"boom""#),
            (r#""done":false"#, r#""done":false,"error":null"#),
            (r#""done":false"#, r#""done":false,"d\u006fne":true"#),
            (r#""done":false"#, r#""done":false,"eval_count":"x""#),
            (r#""done":false}"#, r#""done":false} x"#),
            (r#""done":false}"#, r#""done":false"#),
        ],
    );
}
