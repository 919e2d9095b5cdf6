# The version is written once, in Cargo.toml: maturin gives it to the package metadata, and
# rust/python/mod.rs compiles it into the extension. _backend.py refuses an extension whose version differs.
from __future__ import annotations

import os
import sys


def _from_dist_info() -> str | None:
    """The `Version:` of the first `rillm-*.dist-info/METADATA` on sys.path, the one importlib.metadata would
    find; None when there is none or an egg comes first (a zip, the source tree alone, a setuptools egg).

    Read by hand because importlib.metadata costs more than the rest of `import rillm` together (it imports
    email, zipfile, pathlib and csv: some 100 modules, `python -X importtime -c "import rillm"`), for one line
    of one file; importlib.metadata still answers for any other layout."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # not a directory (a zip), or gone
            continue
        for name in names:
            lower = name.lower()
            if lower == "rillm.egg-info" or (lower.startswith("rillm-") and lower.endswith(".egg-info")):
                return None  # an egg's metadata first: importlib.metadata reads that layout
            if lower.startswith("rillm-") and lower.endswith(".dist-info"):
                try:
                    with open(os.path.join(entry or ".", name, "METADATA"), encoding="utf-8") as metadata:
                        for line in metadata:
                            if line.startswith("Version:"):
                                return line[len("Version:") :].strip()
                            if not line.strip():  # the headers end at the first empty line
                                break
                except OSError:
                    pass
    return None


def _version() -> str:
    found = _from_dist_info()
    if found is not None:
        return found
    from importlib import metadata

    try:
        return metadata.version("rillm")
    except metadata.PackageNotFoundError:  # the source tree on sys.path without an install
        return "0+unknown"


__version__ = _version()
