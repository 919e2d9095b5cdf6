"""The rules that derive.py applies to the recordings, one module per concern, as the module docs of
rust/decode/*.rs and rust/merge/mod.rs, tests/golden/README.md and LiteLLM's maps
(../shared/docs/litellm-streaming-spec.md, section 5) state them. Standard library only; nothing here
imports rillm or shares code with it.

- `wire`: the framings (SSE, NDJSON, one JSON array, AWS event-stream);
- `chunks`: what a decoded stream is (OpenAI-style chunk dicts), and what the native dialects share;
- `openai`, `anthropic`, `bedrock`, `cohere`, `gemini`, `ollama`: one module per dialect;
- `merge`: the chunks merged into the response the golden files hold.

Only what the recordings contain has a rule here: an event, part or path without one raises `NoRule`,
so a new recording that needs a new rule gets it written (and reviewed) rather than guessed.
"""
