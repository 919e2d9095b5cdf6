"""Checks the portable wheel: abi3, a manylinux tag of glibc 2.17 or older as auditwheel sees the extension
(`auditwheel show`), and a stripped extension (no symbol table, no debug sections)."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import zipfile

MAX_GLIBC_MINOR = 17  # manylinux2014


def main(path: str) -> int:
    problems = []
    if "-abi3-" not in path:
        problems.append("not an abi3 wheel")
    shown = subprocess.run(
        [sys.executable, "-m", "auditwheel", "show", path], capture_output=True, text=True, check=False
    )
    print(shown.stdout.strip())
    tags = [int(minor) for minor in re.findall(r"manylinux_2_(\d+)_", shown.stdout)]
    if shown.returncode != 0 or not tags:
        problems.append(f"auditwheel show found no manylinux tag: {shown.stderr.strip()}")
    elif min(tags) > MAX_GLIBC_MINOR:
        problems.append(f"needs glibc 2.{min(tags)}, more than manylinux2014's 2.{MAX_GLIBC_MINOR}")
    with zipfile.ZipFile(path) as wheel:
        extensions = [name for name in wheel.namelist() if name.endswith(".so")]
        for name in extensions:
            debug = [s for s in _sections(wheel.read(name)) if s.startswith(".debug") or s == ".symtab"]
            if debug:
                problems.append(f"{name} is not stripped: {', '.join(debug)}")
    if not extensions:
        problems.append("no compiled extension in the wheel")
    for problem in problems:
        print(f"wheel: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"wheel OK: {path}")
    return 0


def _sections(elf: bytes) -> list[str]:
    """The section names of a 64-bit little-endian ELF file (what `readelf -S` lists)."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    names_offset = struct.unpack_from("<Q", elf, shoff + shstrndx * shentsize + 0x18)[0]
    names = []
    for index in range(shnum):
        (name,) = struct.unpack_from("<I", elf, shoff + index * shentsize)
        start = names_offset + name
        names.append(elf[start : elf.index(b"\0", start)].decode())
    return names


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
