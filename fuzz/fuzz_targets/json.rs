//! rillm's JSON parser against serde_json on any UTF-8 input (the differential check of
//! rust/json/differential.rs, whose property test runs a bounded number of generated inputs in CI).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rillm::json_differential::{check, number, Tree};

#[path = "../../rust/json/differential/reference.rs"]
mod reference;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text, reference::serde_tree);
    }
});
