"""The backend seam: Rust is the default when built, the choice is strict, and the versions agree."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

import rillm
from rillm import _fallback

from .conftest import ROOT


def run(code: str, backend: str | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    if backend is not None:
        env["RILLM_BACKEND"] = backend
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.rust
def test_rust_is_the_default_when_built() -> None:
    result = run("import rillm; print(rillm.BACKEND, type(rillm.StreamDecoder()).__module__)", None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["rust", "rillm._native"]


def test_python_can_be_forced() -> None:
    result = run("import rillm; print(rillm.BACKEND, type(rillm.StreamDecoder()).__module__)", "python")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["python", "rillm._fallback.decode"]


def test_an_unknown_backend_is_refused() -> None:
    result = run("import rillm", "fast")
    assert result.returncode != 0
    assert "ValueError: RILLM_BACKEND must be 'auto', 'rust' or 'python', not 'fast'" in result.stderr


# Makes `rillm._native` unimportable, as on a platform without the extension.
_HIDE_NATIVE = """
import sys
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name == "rillm._native":
            raise ImportError("rillm._native hidden by the test")
sys.meta_path.insert(0, Hide())
"""


def test_rust_fails_loudly_when_the_extension_is_missing() -> None:
    result = run(_HIDE_NATIVE + "import rillm", "rust")
    assert result.returncode != 0
    assert "ImportError: RILLM_BACKEND=rust but the Rust extension cannot be imported" in result.stderr


def test_auto_falls_back_when_the_extension_is_missing() -> None:
    result = run(_HIDE_NATIVE + "import rillm; print(rillm.BACKEND)", "auto")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["python"]


def test_live_classes_are_the_backends() -> None:
    live = rillm._backend._impl
    assert rillm.StreamDecoder is live.StreamDecoder
    assert rillm.ModelResponseStream is live.ModelResponseStream
    assert rillm.BACKEND == ("rust" if live is not _fallback else "python")


def test_the_version_is_written_once() -> None:
    """Cargo.toml holds the version; pyproject.toml takes it from there (dynamic), and the installed package's
    metadata (which rillm.__version__ reads) carries it."""
    cargo = re.search(r'^version = "([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert cargo
    assert re.search(r'^dynamic = \["version"\]', pyproject, re.M)
    assert not re.search(r"^version = ", pyproject, re.M)
    assert cargo.group(1) == rillm.__version__ == _fallback.__version__


@pytest.mark.rust
def test_the_extension_reports_the_package_version(both: tuple[object, object]) -> None:
    from rillm import _native

    assert _native.__version__ == rillm.__version__
