# The version is written once, in Cargo.toml: maturin gives it to the package metadata, and
# rust/python/mod.rs compiles it into the extension. _backend.py refuses an extension whose version differs.
from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("rillm")
except metadata.PackageNotFoundError:  # the source tree on sys.path without an install
    __version__ = "0+unknown"
