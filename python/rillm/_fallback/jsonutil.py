# Twin of the JSON rules in rust/json/ (mod.rs and parser.rs; raw.rs for is_complete_json).
"""JSON exactly as the Rust core reads it. The rules live in `rillm._json`, the one JSON reader of the Python
side, which both backends share (the Rust backend for the raw values its chunks materialise, the error
payloads and the response bodies); this module is the twin's name for it."""

from __future__ import annotations

from rillm._json import MAX_DEPTH, MAX_INT_DIGITS, JsonError, is_complete_json, loads

__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "JsonError", "is_complete_json", "loads"]
