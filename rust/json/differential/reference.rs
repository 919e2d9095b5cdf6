//! The reference reader: `serde_json`, read into the differential check's `Tree`. Also compiled into the
//! `cargo-fuzz` target `fuzz/fuzz_targets/json.rs` (by path), whose root provides the same `number` and `Tree`.

use serde::Deserialize;

use super::{number, Tree};

/// `serde_json`'s reading of `text`, or `None` when it refuses it: any depth (the check asks only up to
/// `MAX_DEPTH`), numbers as their text.
pub(crate) fn serde_tree(text: &str) -> Option<Tree> {
    let mut reader = serde_json::Deserializer::from_str(text);
    reader.disable_recursion_limit();
    let value = serde_json::Value::deserialize(&mut reader).ok()?;
    reader.end().ok()?;
    Some(tree(value))
}

fn tree(value: serde_json::Value) -> Tree {
    use serde_json::Value;
    match value {
        Value::Null => Tree::Null,
        Value::Bool(b) => Tree::Bool(b),
        Value::Number(n) => Tree::Number(number(&n.to_string())),
        Value::String(s) => Tree::String(s),
        Value::Array(items) => Tree::Array(items.into_iter().map(tree).collect()),
        Value::Object(map) => Tree::Object(map.into_iter().map(|(k, v)| (k, tree(v))).collect()),
    }
}
