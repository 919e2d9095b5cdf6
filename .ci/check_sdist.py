"""Fails if the sdist holds anything but the project: top-level paths outside an allow-list (a virtual
environment, build output, a scratch folder), caches or compiled files anywhere, or an unexpected size."""

from __future__ import annotations

import os
import sys
import tarfile

ALLOWED = {
    ".ci",
    ".github",
    ".gitignore",
    ".rustfmt.toml",
    "CHANGELOG.md",
    "Cargo.lock",
    "Cargo.toml",
    "LICENSE",
    "Makefile",
    "PKG-INFO",
    "README.md",
    "benches",
    "clippy.toml",
    "docs",
    "pyproject.toml",
    "python",
    "rust",
    "tests",
}
FORBIDDEN_PARTS = {"__pycache__", ".venv", "venv", "site-packages", ".mypy_cache", ".pytest_cache", ".hypothesis"}
FORBIDDEN_SUFFIXES = (".so", ".pyd", ".pyc", ".dylib", ".dll", ".whl")
MAX_BYTES = 5 * 1024 * 1024  # the project with its recordings is about 0.5 MB compressed


def main(path: str) -> int:
    with tarfile.open(path) as sdist:
        names = sdist.getnames()
    problems = []
    for name in names:
        parts = name.split("/")[1:]  # below rillm-<version>/
        if not parts or not parts[0]:
            continue
        if parts[0] not in ALLOWED:
            problems.append(f"{name}: {parts[0]!r} is not an allowed top-level path")
        elif FORBIDDEN_PARTS & set(parts) or name.endswith(FORBIDDEN_SUFFIXES) or parts[-1] == "pyvenv.cfg":
            problems.append(f"{name}: a cache, environment or compiled file")
    size = os.path.getsize(path)
    if size > MAX_BYTES:
        problems.append(f"{path} is {size:,} bytes, more than {MAX_BYTES:,}")
    for problem in problems[:20]:
        print(f"sdist: {problem}", file=sys.stderr)
    if problems:
        print(f"sdist: {len(problems)} stray file(s) in {path}", file=sys.stderr)
        return 1
    print(f"sdist OK: {path}, {len(names)} files, {size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
