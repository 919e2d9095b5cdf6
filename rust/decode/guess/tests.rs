//! `guess.rs`'s keys and values against the parser's reading with nothing guessed.

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

/// Objects read one after the other with the same guesses: the same keys, others, in another order or
/// spelling, with escapes, broken.
const OBJECTS: [&str; 22] = [
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
    r#"{"id" "a"}"#,
    r#"["id","a"]"#,
    r#"{"id":"a"}"#,
    r#"{"id":"a","id":"a"}"#,
    r#"{"id":"a","x\"y":1,"\u0078":2}"#,
];

/// An object of 100 keys: more than an order remembers.
fn wide() -> String {
    let members: Vec<_> = (0..100).map(|i| format!("\"k{i}\":[{i}]")).collect();
    format!("{{{}}}", members.join(","))
}

#[test]
fn guessed_keys_and_values_read_as_unguessed_ones_whatever_the_last_object_had() {
    let mut order = Order::new(classify);
    for text in OBJECTS {
        assert_eq!(guessed(text, &mut order), plain(text), "{text}");
    }
    let wide = wide();
    for _ in 0..2 {
        assert_eq!(guessed(&wide, &mut order), plain(&wide));
    }
    assert!(order.members.len() <= super::REMEMBERED);
}

type Named = crate::json::Result<Vec<(String, bool, &'static str, String)>>;

/// Each key's raw text, whether it has escapes, what it is and its value, read with guesses from
/// `order`; or the error.
fn named(text: &str, order: &mut Order<&'static str>) -> Named {
    let mut p = Parser::new(text);
    let mut keys = Keys::new(order);
    let mut out = Vec::new();
    let mut key = keys.first_key(&mut p)?;
    while let Some((k, field)) = key {
        out.push((k.raw.to_owned(), k.escaped(), field, p.any()?.to_owned()));
        key = keys.next_key(&mut p)?;
    }
    p.finish()?;
    Ok(out)
}

/// The same, read without guesses.
fn plain_named(text: &str) -> Named {
    let mut p = Parser::new(text);
    let mut out = Vec::new();
    let mut key = p.first_key()?;
    while let Some(k) = key {
        let field = classify(&String::from_utf8_lossy(&k.name()));
        out.push((k.raw.to_owned(), k.escaped(), field, p.any()?.to_owned()));
        key = p.next_key()?;
    }
    p.finish()?;
    Ok(out)
}

#[test]
fn guessed_keys_come_with_their_text_as_the_parser_reads_it_and_fail_where_it_fails() {
    let mut order = Order::new(classify);
    let wide = wide();
    for text in OBJECTS.iter().copied().chain([wide.as_str(), wide.as_str()]) {
        assert_eq!(named(text, &mut order), plain_named(text), "{text}");
    }
}

#[test]
fn an_object_read_part_way_goes_on_with_its_guesses_and_ends_them_where_it_ends() {
    let text = r#"{"id":"a","model":"b","n":1}"#;
    let mut order = Order::new(classify);
    named(text, &mut order).unwrap();
    let at = text.find(r#","n""#).unwrap();
    for resumed in [true, false] {
        let mut p = Parser::resumed(text, at, 1);
        let mut keys = if resumed {
            Keys::resumed(&mut order, 2)
        } else {
            let mut keys = Keys::new(&mut order);
            keys.skip_to(2);
            keys
        };
        let (k, field) = keys.next_key(&mut p).unwrap().unwrap();
        assert_eq!((k.raw, field, keys.read(), keys.placed), ("n", "n", 3, true));
        assert_eq!(keys.raw(&mut p), Ok("1"));
        assert!(keys.next_key(&mut p).unwrap().is_none());
    }
    named(r#"{"id":"a"}"#, &mut order).unwrap();
    assert_eq!(order.members.len(), 1);
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
