"""`import rillm` stays cheap: it defines the exceptions, the live backend's classes and the module settings,
and loads the rest (pydantic's models, the provider tables, the HTTP clients) on first use. Checked by what a
fresh interpreter has loaded after `import rillm`, not by a timer (benches/test_bench_import.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

import rillm
from rillm import _version

from .conftest import Backend

# Libraries `import rillm` must not load: pydantic (rillm.types, the argument checks), the HTTP clients of every
# transport (rillm._http), the CLI's, and the parts of the standard library only the calls need (importlib.metadata
# brings email and zipfile; logging is for the `rillm` logger's messages).
FOREIGN = ("pydantic", "pydantic_core", "httpx", "httpcore", "h11", "anyio", "aiohttp", "urllib3", "pycurl")
FOREIGN += ("httptools",)
FOREIGN += ("rich", "click", "asyncio", "ssl", "email", "zipfile", "logging")

# rillm's own modules `import rillm` may load; with the twin live, its package and the helpers it shares with
# the Rust bindings too. Anything else (rillm.types, rillm._completion, rillm._http, rillm.providers, ...) is
# loaded by the first call that needs it.
ALLOWED = {"rillm", "rillm._backend", "rillm._native", "rillm._version", "rillm.exceptions"}
ALLOWED |= {"rillm.integrations", "rillm.integrations.custom_logger"}
TWIN = {"rillm._fallback", "rillm._shared", "rillm._error_mapping", "rillm._json"}

# The heavy modules by name, so that a failure says at once what came back.
HEAVY = ("rillm.types", "rillm._completion", "rillm._args", "rillm._http", "rillm._stream", "rillm._builder")
HEAVY += ("rillm.providers", "rillm.providers.translate", "rillm._response", "rillm._mock", "rillm._retry")
HEAVY += ("rillm._callbacks", "rillm._settings", "rillm._log", "rillm.cost", "rillm.cli", "rillm._bench")


def loaded_by(code: str, backend: str) -> list[str]:
    """The modules a fresh interpreter has loaded after running `code`."""
    script = textwrap.dedent(code) + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "RILLM_BACKEND": backend}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    modules: list[str] = json.loads(result.stdout.splitlines()[-1])
    return modules


def test_import_loads_nothing_heavy(backend: Backend) -> None:
    modules = loaded_by("import rillm", backend.name)
    assert [m for m in modules if m.split(".")[0] in FOREIGN] == []
    assert [m for m in HEAVY if m in modules] == []
    assert "importlib.metadata" not in modules  # rillm._version reads the version itself
    allowed = ALLOWED | TWIN if backend.name == "python" else ALLOWED
    own = [m for m in modules if m.startswith("rillm.") or m == "rillm"]
    assert [m for m in own if m not in allowed and not m.startswith("rillm._fallback.")] == []
    if backend.name == "rust":
        assert not [m for m in own if m.startswith("rillm._fallback")]


def test_first_use_loads_what_it_needs(backend: Backend) -> None:
    """The lazy names resolve to the modules that define them, loaded at that moment."""
    modules = loaded_by("import rillm\nrillm.completion\nrillm.Usage", backend.name)
    assert {"rillm._completion", "rillm.types", "pydantic"} <= set(modules)


def test_every_public_name_is_there() -> None:
    assert [name for name in rillm.__all__ if not hasattr(rillm, name)] == []
    assert set(rillm.__all__) <= set(dir(rillm))
    assert rillm.completion.__module__ == "rillm._completion"
    assert rillm.ModelResponse.__module__ == "rillm.types"
    assert rillm.get_llm_provider.__module__ == "rillm.providers"
    assert rillm.ModelNotMappedError.__module__ == "rillm.cost"


def test_star_import_gives_all() -> None:
    namespace: dict[str, object] = {}
    exec("from rillm import *", namespace)
    assert set(rillm.__all__) <= set(namespace)
    assert namespace["stream_chunk_builder"] is rillm.stream_chunk_builder


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'rillm' has no attribute 'completon'"):
        _ = rillm.completon  # type: ignore[attr-defined]
    assert getattr(rillm, "no_such_setting", None) is None


def test_the_version_is_the_installed_metadatas() -> None:
    assert _version._from_dist_info() == metadata.version("rillm") == rillm.__version__


def dist_info(where: Path, name: str, version: str) -> None:
    (where / name).mkdir()
    (where / name / "METADATA").write_text(f"Metadata-Version: 2.4\nName: rillm\nVersion: {version}\n\nVersion: 9\n")


def test_the_version_comes_from_the_first_dist_info_on_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "other-1.0.dist-info").mkdir()
    dist_info(second, "rillm-2.3.4.dist-info", "2.3.4")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(first), str(second)])
    assert _version._from_dist_info() == "2.3.4"
    dist_info(first, "Rillm-5.0.dist-info", "5.0")
    assert _version._from_dist_info() == "5.0"


def test_importlib_metadata_answers_for_other_layouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No dist-info on the path, or an egg's metadata before it: rillm._version leaves it to importlib.metadata."""
    egg, wheel = tmp_path / "egg", tmp_path / "wheel"
    egg.mkdir()
    wheel.mkdir()
    monkeypatch.setattr(sys, "path", [str(egg)])
    assert _version._from_dist_info() is None
    (egg / "rillm-1.0.egg-info").mkdir()
    dist_info(wheel, "rillm-2.0.dist-info", "2.0")
    monkeypatch.setattr(sys, "path", [str(egg), str(wheel)])
    assert _version._from_dist_info() is None
    monkeypatch.setattr(sys, "path", [str(wheel), str(egg)])
    assert _version._from_dist_info() == "2.0"
