//! The `OpenAI` reader with what it guesses from the last chunk (`guess.rs`, the heads and tails of
//! `openai_seen.rs`) against the same reader with nothing guessed (`OpenAiDecoder::unguessed`).

use super::super::openai::OpenAiDecoder;
use super::same_both_ways;

/// The usual `OpenAI` chunk changed one way each, at every level: the chunk, a choice, its delta, a tool
/// call and its function.
const OPENAI_CHANGES: &[(&str, &str)] = &[
    (r#""content":"The""#, r#""content":"The","role":"assistant""#),
    (r#""content":"The""#, r#""role":"assistant","content":"The""#),
    (r#""content":"The""#, r#""c\u006fntent":"The""#),
    (r#""content":"The""#, r#""content" : "The""#),
    (r#""content":"The""#, r#""content":"The","content":"Then""#),
    (r#""content":"The""#, r#""content":null"#),
    (r#""content":"The""#, r#""content":5"#),
    (r#""content":"The""#, r#""content":"The\u""#),
    (r#""content":"The""#, r#""reasoning":"hm","content":"The""#),
    (r#""content":"The""#, r#""content":"The","x":1,"x\"y":2"#),
    (
        r#""content":"The""#,
        r#""content":"The","refusal":null,"annotations":[]"#,
    ),
    (r#""content":"The""#, r#""content":[{"type":"text","text":"a"}]"#),
    (
        r#""content":"The""#,
        r#""tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]"#,
    ),
    (
        r#""content":"The""#,
        r#""tool_calls":[{"index":0,"function":{"arguments":"{\"a"}}]"#,
    ),
    (
        r#""content":"The""#,
        r#""tool_calls":[{"index":0,"function":{"arguments":"1"}},{"index":1,"function":{"\u0061rguments":"2","name":"g"}}]"#,
    ),
    (
        r#""content":"The""#,
        r#""tool_calls":[{ "function" :{"arguments":"x","y":0},"index":0,"x":1}]"#,
    ),
    (r#""content":"The""#, r#""function_call":{"name":"f","arguments":"{}"}"#),
    (r#"{"content":"The"}"#, "{}"),
    (r#"{"content":"The"}"#, "null"),
    (r#""delta":{"#, r#""delta" : {"#),
    (r#"{"index":0,"#, r#"{"index":1,"#),
    (r#"{"index":0,"#, r#"{ "index":0 ,"#),
    (r#"{"index":0,"#, "{"),
    (r#"{"index":0,"delta""#, r#"{"delta":{"content":"x"},"index":0,"delta""#),
    (
        r#""logprobs":null,"finish_reason":null"#,
        r#""finish_reason":null,"logprobs":null"#,
    ),
    (
        r#""finish_reason":null}"#,
        r#""finish_reason":null,"native_finish_reason":null}"#,
    ),
    (r#""finish_reason":null}"#, r#""finish_reason":"length"}"#),
    (
        r#""finish_reason":null}]"#,
        r#""finish_reason":null},{"index":1,"delta":{"content":"b"},"finish_reason":null}]"#,
    ),
    (r#""obfuscation":"ab""#, r#""obfuscation":"abc""#),
    (r#""obfuscation":"ab""#, r#""\u006fbfuscation":"ab""#),
    (r#""usage":null,"#, ""),
    (
        r#""usage":null"#,
        r#""usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}"#,
    ),
    (
        r#""usage":null,"obfuscation":"ab""#,
        r#""obfuscation":"ab","usage":null"#,
    ),
    (r#""id":"chatcmpl-1","#, ""),
    (r#""model":"gpt-4o""#, r#""model":"gpt-4o","x":[1]"#),
    (r#""model":"gpt-4o""#, r#""m\u006fdel":"gpt-4o""#),
    (r#""system_fingerprint":"fp_1""#, r#""system_fingerprint":null"#),
    (r#"{"id""#, r#" { "id""#),
    (r#""created":5"#, r#""created":5.5"#),
    (r#""choices":["#, r#""choices" ["#),
    (r#""choices":["#, r#""choices":[],"choices":["#),
    (r#""obfuscation":"ab"}"#, r#""obfuscation":"ab"} x"#),
];

#[test]
fn openai_reads_the_same_whatever_it_guessed() {
    let head = r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":5,"model":"gpt-4o","service_tier":"default","system_fingerprint":"fp_1","choices":["#;
    let first = format!(
        r#"{head}{{"index":0,"delta":{{"role":"assistant","content":"","refusal":null}},"logprobs":null,"finish_reason":null}}],"usage":null,"obfuscation":"x"}}"#
    );
    let usual = format!(
        r#"{head}{{"index":0,"delta":{{"content":"The"}},"logprobs":null,"finish_reason":null}}],"usage":null,"obfuscation":"ab"}}"#
    );
    let last = format!(
        r#"{head}{{"index":0,"delta":{{}},"logprobs":null,"finish_reason":"stop"}}],"usage":null,"obfuscation":"c"}}"#
    );
    let folders = [
        "openai",
        "deepseek",
        "groq",
        "llamacpp",
        "mistral",
        "openrouter",
        "perplexity",
        "xai",
        "zai",
    ];
    same_both_ways::<OpenAiDecoder>(
        &folders,
        |d, data, pos, sink| d.unguessed(data, pos, sink),
        [first.as_str(), usual.as_str(), last.as_str()],
        OPENAI_CHANGES,
    );
}
