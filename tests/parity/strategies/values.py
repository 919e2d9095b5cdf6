"""JSON leaves and values that every dialect's strategies draw their fields from."""

from __future__ import annotations

from hypothesis import strategies as st

# Strings that exercise escaping: quotes, backslashes, control characters, non-ASCII, astral characters.
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["", "\u2028", 'q"uote', "back\\slash", "tab\tnew\nline", "\x00\x1f", "\U0001f600", "é"]
)
json_leaf = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | text
json_value = st.recursive(
    json_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=8
)
