"""Checks the portable wheel: abi3, a manylinux tag of glibc 2.17 or older as auditwheel sees the extension
(`auditwheel show`), and a stripped extension (no debug sections)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile

MAX_GLIBC_MINOR = 17  # manylinux2014


def main(path: str) -> int:
    problems = []
    if "-abi3-" not in path:
        problems.append("not an abi3 wheel")
    shown = subprocess.run(["auditwheel", "show", path], capture_output=True, text=True, check=False)
    print(shown.stdout.strip())
    tags = [int(minor) for minor in re.findall(r"manylinux_2_(\d+)_", shown.stdout)]
    if shown.returncode != 0 or not tags:
        problems.append(f"auditwheel show found no manylinux tag: {shown.stderr.strip()}")
    elif min(tags) > MAX_GLIBC_MINOR:
        problems.append(f"needs glibc 2.{min(tags)}, more than manylinux2014's 2.{MAX_GLIBC_MINOR}")
    with zipfile.ZipFile(path) as wheel:
        extensions = [name for name in wheel.namelist() if name.endswith(".so")]
        for name in extensions:
            if b".debug_info" in wheel.read(name):
                problems.append(f"{name} is not stripped")
    if not extensions:
        problems.append("no compiled extension in the wheel")
    for problem in problems:
        print(f"wheel: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"wheel OK: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
