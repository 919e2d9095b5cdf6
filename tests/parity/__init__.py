"""Rust == Python: every test here runs the same input through the Rust extension and its pure-Python
twin and asserts they agree (chunks, exception class and position, reprs, merge). The hypothesis
strategies that generate the inputs live in `strategies/`; the profile they run under is registered in
tests/conftest.py."""
