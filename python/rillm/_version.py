# The package version; rust/python/mod.rs reports the extension's (from Cargo.toml) and _backend.py
# refuses an extension whose version differs. tests/test_backend.py checks the two files agree.
__version__ = "0.1.0"
