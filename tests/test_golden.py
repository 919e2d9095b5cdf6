"""The golden files are what tests/golden/derive.py derives from the recordings by the written rules, and
that script stands alone: it runs without site-packages (so with nothing but the standard library, and
without rillm), and `--check` fails on any difference."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import GOLDEN

DERIVE = GOLDEN / "derive.py"


def derive(*args: str) -> subprocess.CompletedProcess[str]:
    # -S: no site-packages, so neither rillm nor any other installed package can be imported; -E: no
    # PYTHONPATH; -B: no bytecode written beside the script.
    command = [sys.executable, "-S", "-E", "-B", str(DERIVE), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_the_golden_files_are_derived_from_the_recordings_without_rillm() -> None:
    result = derive("--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_check_names_a_golden_file_that_differs_and_one_without_a_recording(tmp_path: Path) -> None:
    for folder in (p for p in GOLDEN.iterdir() if p.is_dir() and any(p.glob("*.json"))):
        shutil.copytree(folder, tmp_path / folder.name)
    changed = tmp_path / "openai" / "gpt4o-refusal.json"
    changed.write_text(changed.read_text().replace('"chunks": ', '"chunks": 1'))
    (tmp_path / "openai" / "no-such-recording.json").write_text("{}\n")
    result = derive("--check", "--golden", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "differs: openai/gpt4o-refusal.json",
        "no recording: openai/no-such-recording.json",
    ]
