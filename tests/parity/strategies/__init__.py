"""Hypothesis strategies for the parity tests: JSON values (`values`), OpenAI-dialect SSE streams
(`openai`), and the native dialects' events and framings (`native`, `native_streams`)."""
