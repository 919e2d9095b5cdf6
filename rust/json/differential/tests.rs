//! The differential property test: generated JSON (every number form, escapes, surrogate pairs and lone
//! surrogates, whitespace, duplicate keys, nesting around the limit), often broken by a few edits with JSON's
//! own characters, read by rillm and by `serde_json`. 20,000 inputs a run (a few seconds); `PROPTEST_CASES=N`
//! runs N. For hours, the `cargo-fuzz` target `fuzz/fuzz_targets/json.rs`.

use proptest::prelude::*;
use proptest::sample::{select, Index};

use super::reference::serde_tree;
use super::{check, parse, Tree};
use crate::json::MAX_INT_DIGITS;

fn ws() -> impl Strategy<Value = String> {
    prop_oneof![4 => Just(String::new()), 1 => "[ \t\n\r]{1,3}"]
}

fn number_text() -> impl Strategy<Value = String> {
    "-?(0|[1-9][0-9]{0,30})(\\.[0-9]{1,8})?([eE][+-]?[0-9]{1,4})?"
}

/// Strings with every escape, `\u` escapes of any code unit (so now and then a lone surrogate) and pairs.
fn string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => "[a-z é中\u{7f}\u{2028}\u{1f600}]",
        2 => "\\\\[\"\\\\/bfnrt]",
        2 => "\\\\u[0-9a-fA-F]{4}",
        1 => Just("\\ud83d\\ude00".to_owned()),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| format!("\"{}\"", pieces.concat()))
}

fn document() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        number_text(),
        string(),
    ];
    leaf.prop_recursive(6, 48, 5, |inner| {
        let item = (ws(), inner.clone(), ws()).prop_map(|(a, v, b)| format!("{a}{v}{b}"));
        let member = (ws(), prop_oneof![string(), Just("\"k\"".to_owned())], ws(), inner)
            .prop_map(|(a, k, b, v)| format!("{a}{k}{b}:{v}"));
        prop_oneof![
            (prop::collection::vec(item, 0..5), ws()).prop_map(|(items, w)| format!("[{w}{}]", items.join(","))),
            (prop::collection::vec(member, 0..5), ws()).prop_map(|(m, w)| format!("{{{w}{}}}", m.join(","))),
        ]
    })
}

/// Nesting just under, at and past the limit (256), of arrays or objects, around a value.
fn deep() -> impl Strategy<Value = String> {
    (250usize..262, any::<bool>(), document()).prop_map(|(n, arrays, inner)| {
        if arrays {
            format!("{}{inner}{}", "[".repeat(n), "]".repeat(n))
        } else {
            format!("{}{inner}{}", "{\"a\":".repeat(n), "}".repeat(n))
        }
    })
}

/// JSON's own characters and a few others, for the edits.
const EDIT_CHARS: &[char] = &[
    '{', '}', '[', ']', '"', ',', ':', '\\', ' ', '0', '1', '9', '-', '+', '.', 'e', 'E', 't', 'n', 'u', 'd', '\u{1}',
    '\u{7f}', 'é', 'x',
];

/// (where, what: insert / delete / replace / truncate, the character).
type Edit = (Index, u8, char);

fn edit(text: &str, (at, how, c): &Edit) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let i = at.index(chars.len() + 1);
    match how {
        0 => chars.insert(i, *c),
        _ if i == chars.len() => {}
        1 => {
            chars.remove(i);
        }
        2 => chars[i] = *c,
        _ => chars.truncate(i),
    }
    chars.into_iter().collect()
}

fn input() -> impl Strategy<Value = String> {
    let base = prop_oneof![8 => document(), 1 => deep()];
    let edits = prop::collection::vec((any::<Index>(), 0u8..4, select(EDIT_CHARS)), 0..3);
    (base, ws(), ws(), prop_oneof![1 => Just(Vec::new()), 1 => edits])
        .prop_map(|(doc, a, b, edits)| edits.iter().fold(format!("{a}{doc}{b}"), |text, e| edit(&text, e)))
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn rillm_reads_json_as_serde_json_does(text in input()) {
        check(&text, serde_tree);
    }
}

#[test]
fn the_reference_keeps_numbers_as_written_and_refuses_lone_surrogates() {
    for (text, read) in [
        ("1E5", "1e+5"),
        ("-0", "-0"),
        ("1e-999", "1e-999"),
        ("-12.250e-3", "-12.250e-3"),
    ] {
        assert_eq!(serde_tree(text), Some(Tree::Number(read.to_owned())), "{text}");
        assert_eq!(parse(text), Some(Tree::Number(read.to_owned())), "{text}");
    }
    let long = "123456789012345678901234567890";
    assert_eq!(serde_tree(long), Some(Tree::Number(long.to_owned())));
    // The number rule: the reference reads these, rillm refuses them, and the check allows for it.
    let too_long = "9".repeat(MAX_INT_DIGITS + 1);
    for refused in ["1e400", "-1.5E+309", too_long.as_str()] {
        assert!(serde_tree(refused).is_some() && parse(refused).is_none(), "{refused}");
        check(&format!("[0, {refused}]"), serde_tree);
    }
    check(&"9".repeat(MAX_INT_DIGITS), serde_tree);
    for lone in ["\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\""] {
        assert_eq!(serde_tree(lone), None, "{lone}");
    }
    check("{\"a\": 1, \"a\": [2]}", serde_tree);
    assert_eq!(parse("{\"a\": 1, \"a\": 2}"), serde_tree("{\"a\": 2}"));
}
