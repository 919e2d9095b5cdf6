"""What every test shares: the `backend` fixture that runs a test on the Rust extension and on its twin
(and `both`, for the Rust == Python comparisons in tests/parity/), the recorded streams in
tests/fixtures/streams with their manifest, the decode helper and split points, the hypothesis profile, and
the end-to-end tests' local server.

`RILLM_BACKEND` says what a run tests, as it says which backend `rillm` uses:
- unset or `auto`: the `backend` tests on both backends, the `both` comparisons, and everything else
  (completion() end to end, the stream wrapper, the command line) on the live backend, Rust when built;
- `rust`: everything on the Rust backend only (the `both` comparisons too); a missing extension fails;
- `python`: everything on the pure-Python twin only; the `both` comparisons are skipped.
So `RILLM_BACKEND=rust pytest` then `RILLM_BACKEND=python pytest` (`make test`) tests each backend once.
The Rust parameter is otherwise skipped only when the extension cannot be imported.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from rillm.exceptions import StreamError

# The generated-input tests (tests/parity/): 250 examples each, no deadline (a first call may compile a
# regex or import a module), and slow data generation allowed (the native streams are large).
settings.register_profile("rillm", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=250)
settings.load_profile("rillm")

ROOT = Path(__file__).resolve().parents[1]
# The recorded streams live in the repository; RILLM_FIXTURES points the tests at another copy laid out the same way.
STREAMS = ROOT / "tests" / "fixtures" / "streams"
FIXTURES = Path(os.environ.get("RILLM_FIXTURES", STREAMS))
GOLDEN = Path(__file__).resolve().parent / "golden"
# The id the tests give a stream whose provider sends none.
TEST_ID = "chatcmpl-test"


def pytest_sessionstart(session: pytest.Session) -> None:
    """The tests test the source in this repository: fail at once if `rillm` is imported from anywhere else
    (a `pip install .` copy in site-packages would otherwise be tested silently instead of the code being
    edited), unless RILLM_TEST_INSTALLED=1 says an installed copy is tested on purpose (CI's wheel step, the
    release workflow); then it must not be the source tree."""
    import rillm

    where = Path(rillm.__file__).resolve().parent
    source = (ROOT / "python" / "rillm").resolve()
    installed = os.environ.get("RILLM_TEST_INSTALLED") == "1"
    if where != source and not installed:
        raise pytest.UsageError(
            f"the tests import rillm from {where}, not from this repository's source ({source}), so they would "
            "test that copy instead of the code here. Install the source in development mode (`make test` does, "
            "or `maturin develop --release --extras test` in your environment); to test an installed copy on "
            "purpose, set RILLM_TEST_INSTALLED=1."
        )
    if where == source and installed:
        raise pytest.UsageError(
            f"RILLM_TEST_INSTALLED=1 but rillm is imported from this repository's source ({source}): run the "
            "tests with a Python where rillm is installed from a wheel, not in development mode."
        )


def read_dialects(manifest: Path) -> dict[str, str]:
    """folder -> dialect, from the recordings' manifest (`folder<TAB>dialect` lines, `#` comments).
    Twin: `tests/decode.rs::dialects`."""
    dialects: dict[str, str] = {}
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].rstrip()
        if not line:
            continue
        folder, sep, dialect = line.partition("\t")
        if not sep or not folder or not dialect or "\t" in dialect or folder in dialects:
            raise ValueError(f"{manifest}:{number}: expected one `folder<TAB>dialect` per folder, got {line!r}")
        dialects[folder] = dialect
    return dialects


# The repository's manifest says which dialect each folder speaks, whichever copy of the recordings is read.
DIALECTS = read_dialects(STREAMS / "dialects.tsv")
OPENAI_FOLDERS = tuple(folder for folder, dialect in DIALECTS.items() if dialect == "openai")


def dialect_of(path: Path) -> str:
    """The dialect of a recording, from its folder."""
    return DIALECTS[path.parent.name]


@dataclass(frozen=True)
class Backend:
    name: str

    @cached_property
    def module(self) -> ModuleType:
        return importlib.import_module("rillm._native" if self.name == "rust" else "rillm._fallback")

    def __str__(self) -> str:
        return self.name


def _rust_available() -> bool:
    try:
        importlib.import_module("rillm._native")
    except ImportError:
        if os.environ.get("RILLM_BACKEND") == "rust":
            raise
        return False
    return True


# The backends this run tests: one when RILLM_BACKEND names it, else both.
ONLY = os.environ.get("RILLM_BACKEND", "auto")
BACKENDS = [
    param
    for param in (
        pytest.param(Backend("rust"), marks=[pytest.mark.rust], id="rust"),
        pytest.param(Backend("python"), id="python"),
    )
    if ONLY in ("auto", param.id)
]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    b: Backend = request.param
    if b.name == "rust" and not _rust_available():
        pytest.skip("the Rust extension is not built")
    return b


# Test files that never reach the decoder (request building, signing, the price table, the golden files'
# own script, the replay server, the split points): the same on either backend, so `make test` runs them in
# its Rust run only (`-m "not backend_free"` in the twin's run). A file missing here runs in both: safe.
BACKEND_FREE = {"test_cost_table.py", "test_cuts.py", "test_golden.py", "test_requests.py", "test_server.py"}
BACKEND_FREE |= {"test_sigv4.py", "test_tls_settings.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in BACKEND_FREE:
            item.add_marker(pytest.mark.backend_free)
    # The "own" transport set exists for httptools' sync path: its async tests are the "curl" set's again.
    again = [item for item in items if _own_async(item)]
    if again:
        config.hook.pytest_deselected(items=again)
        items[:] = [item for item in items if not _own_async(item)]


def _own_async(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    if callspec is None or callspec.params.get("transport") != "own":
        return False
    return "async" in item.name or "acompletion" in item.name


@pytest.fixture(scope="session")
def both() -> tuple[Backend, Backend]:
    """Both backends at once, for tests that compare them (not in a run of the twin alone)."""
    if ONLY == "python":
        pytest.skip("RILLM_BACKEND=python tests the twin alone")
    if not _rust_available():
        pytest.skip("the Rust extension is not built")
    return Backend("rust"), Backend("python")


def recordings(folders: Iterable[str] = OPENAI_FOLDERS) -> list[Path]:
    """The recordings of `folders` (by default those of OpenAI's dialect), sorted."""
    found = sorted(p for folder in folders for p in (FIXTURES / folder).glob("*") if p.is_file())
    if not found:
        raise RuntimeError(f"no recorded streams under {FIXTURES} (set RILLM_FIXTURES)")
    return found


def recording_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@dataclass
class Outcome:
    """Everything a decode produced: the chunks (those returned and those an exception carried) and
    the error, if any, as (class name, event, offset)."""

    chunks: list[Any]
    error: tuple[str, int | None, int | None] | None
    exception: BaseException | None = None

    def dumps(self) -> list[dict[str, Any]]:
        return [c.model_dump() for c in self.chunks]

    def comparable(self) -> tuple[list[dict[str, Any]], tuple[str, int | None, int | None] | None]:
        return self.dumps(), self.error


def decode(module: ModuleType, pieces: Sequence[bytes], dialect: str = "openai", **options: Any) -> Outcome:
    """Feeds `pieces` then finishes, stopping at the first error."""
    options.setdefault("created", 1700000000)
    if dialect != "openai":
        options.setdefault("id", TEST_ID)
    decoder = module.StreamDecoder(dialect, **options)
    chunks: list[Any] = []
    try:
        for piece in pieces:
            chunks.extend(decoder.feed(piece))
        chunks.extend(decoder.finish())
    except StreamError as exc:
        chunks.extend(exc.chunks)
        return Outcome(chunks, (type(exc).__name__, exc.event, exc.offset), exc)
    return Outcome(chunks, None)


def cuts(data: bytes, budget: int = 300) -> list[int]:
    """Split points for a recording: every offset of a short one (at most `budget` bytes); for a longer one
    at most about `budget` of them, spread over its whole length: the first 32 offsets (BOM, first field),
    128 offsets evenly spread from start to end, every offset within 3 bytes of 16 line ends and next to 16
    non-ASCII bytes (those taken evenly from the whole recording, not its first ones), and the end.
    Rust's cargo tests (tests/decode.rs) cover every offset."""
    n = len(data)
    if n <= budget:
        return list(range(n + 1))
    points = set(range(33))
    points.update(i * n // 128 for i in range(129))
    line_ends = [i for i, b in enumerate(data) if b in (10, 13)]
    for i in _evenly(line_ends, 16):
        points.update(range(max(0, i - 3), min(n, i + 4) + 1))
    for i in _evenly([i for i, b in enumerate(data) if b >= 0x80], 16):
        points.update((i, i + 1))
    return sorted(points)


def _evenly(items: Sequence[int], count: int) -> list[int]:
    """`count` of `items` taken at even steps from first to last (all of them when there are no more)."""
    if len(items) <= count:
        return list(items)
    return [items[i * (len(items) - 1) // (count - 1)] for i in range(count)]


# -- the end-to-end tests' server ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server() -> Iterator[Any]:
    """One local replay server (tests/server.py) for every end-to-end test."""
    from tests.server import ReplayServer

    with ReplayServer() as running:
        yield running


@pytest.fixture
def e2e_env(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean server queue, the test AWS credentials, and no stray tokens from the environment."""
    from tests.e2e import AWS

    server.clear()
    for name, value in AWS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "OLLAMA_API_KEY"):
        monkeypatch.delenv(name, raising=False)


# -- the transports the end-to-end tests run on ----------------------------------------------------------------

# "httpx" runs completion() and acompletion() on httpx; "fast" on urllib3 and aiohttp; "curl" on pycurl and httptools
# (async); "own" completion() on httptools (its async tests are deselected: "curl" runs them): every end-to-end test
# meets every transport.
TRANSPORTS = ["httpx", "fast", "curl", "own"]


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Sets the transports of both paths for one test (rillm._http's defaults, which tests may replace)."""
    import rillm
    from rillm import _http

    monkeypatch.setattr(rillm, "transport", None)
    if request.param == "httpx":
        monkeypatch.setattr(_http, "_defaults", {False: "httpx", True: "httpx"})
    elif request.param == "curl":
        pytest.importorskip("pycurl")
        pytest.importorskip("httptools")
        monkeypatch.setattr(_http, "_defaults", {False: "pycurl", True: "httptools"})
    elif request.param == "own":
        pytest.importorskip("httptools")
        monkeypatch.setattr(_http, "_defaults", {False: "httptools", True: "httptools"})
    else:
        monkeypatch.setattr(_http, "_defaults", {False: "urllib3", True: "aiohttp"})
    name: str = request.param
    return name
