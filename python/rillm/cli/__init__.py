"""The `rillm` command line (also `python -m rillm`): `chat`, `replay`, `bench` and `providers`.

It needs the `cli` extra (rich, for the terminal); the library itself never imports this package or rich.

`--backend` must be chosen before rillm is imported, and importing this package imported rillm already
(with `RILLM_BACKEND` as it was). So when `--backend` asks for another backend than the one that variable
chose, the command runs again in a child process with `RILLM_BACKEND` set, after checking here that the
backend asked for can be loaded (otherwise: a clear error, exit code 2).
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
from collections.abc import Sequence

__all__ = ["main"]

BACKENDS = ("auto", "rust", "python")
EXTRA_HINT = "the rillm command line needs the `cli` extra: pip install 'rillm[cli]'"


def _parser() -> argparse.ArgumentParser:
    from rillm.cli.guess import DIALECTS

    parser = argparse.ArgumentParser(
        prog="rillm",
        description="rillm: a LiteLLM-compatible streaming client whose hot path is Rust.",
        epilog="Run `rillm COMMAND --help` for a command's options.",
    )
    parser.add_argument("--backend", choices=BACKENDS, help="the decoder backend (sets RILLM_BACKEND)")
    parser.add_argument("--version", action="store_true", help="print rillm's version and backend, then exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = commands.add_parser("chat", help="stream a completion to the terminal")
    chat.add_argument("model", help="a LiteLLM model string, e.g. anthropic/claude-sonnet-4-5")
    chat.add_argument("prompt", help="the user message ('-' reads it from standard input)")
    chat.add_argument("--system", help="a system message")
    chat.add_argument("--max-tokens", type=int, help="the most tokens to generate")
    where = chat.add_mutually_exclusive_group()
    where.add_argument(
        "--mock",
        action="store_true",
        help="stream the bundled recording of the model's dialect from a local server (no network, no key); "
        "the default when the provider has no key configured",
    )
    where.add_argument("--api-base", help="the provider's base URL (a proxy, a local server)")
    chat.add_argument("--json", action="store_true", help="print each chunk as a JSON line")
    chat.add_argument("--backend", dest="backend_here", choices=BACKENDS, help=argparse.SUPPRESS)

    replay = commands.add_parser("replay", help="decode a captured stream file and print its chunks")
    replay.add_argument("file", help="a response body: SSE, NDJSON, a JSON array or AWS event-stream")
    replay.add_argument("--dialect", choices=DIALECTS, help="the wire dialect (guessed from the content if not given)")
    replay.add_argument("--build", action="store_true", help="print the final response instead of the chunks")
    replay.add_argument("--backend", dest="backend_here", choices=BACKENDS, help=argparse.SUPPRESS)

    bench = commands.add_parser("bench", help="decode, builder and end-to-end benchmarks, with the peers installed")
    bench.add_argument("--quick", action="store_true", help="2,000-chunk streams and fewer rounds")
    bench.add_argument("--markdown", action="store_true", help="a dated Markdown table with the machine")
    bench.add_argument("--chunks", type=int, help="the deltas per stream (default 20,000; 2,000 with --quick)")
    bench.add_argument(
        "--passes", type=int, help="times the targets' rows are timed, spread over the run (default 5; 2 with --quick)"
    )
    groups = ("decode", "build", "e2e", "concurrent", "first-chunk", "import")
    bench.add_argument("--only", choices=groups, action="append", help="run only these groups")
    bench.add_argument("--backend", dest="backend_here", choices=BACKENDS, help=argparse.SUPPRESS)

    providers = commands.add_parser("providers", help="the provider table: prefix, dialect, URL, keys, auth")
    providers.add_argument("--markdown", action="store_true", help="print it as a Markdown table")
    providers.add_argument("--backend", dest="backend_here", choices=BACKENDS, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; returns the exit code (0 success, 1 the call or the input failed, 2 bad usage)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        import rich  # noqa: F401 (checked here, used by the commands)
    except ImportError:
        print(f"rillm: {EXTRA_HINT}", file=sys.stderr)
        return 2
    parser = _parser()
    args = parser.parse_args(arguments)
    # `--backend` may come before or after the command (a separate dest: a subcommand's default would
    # overwrite the value given before it).
    args.backend = getattr(args, "backend_here", None) or args.backend
    if args.backend and args.backend != os.environ.get("RILLM_BACKEND", "auto"):
        return _run_with_backend(args.backend, arguments)
    if args.version:
        import rillm

        print(f"rillm {rillm.__version__} (backend: {rillm.BACKEND})")
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    # Each command's module is imported only when it runs (chat does not need the benchmarks).
    command = importlib.import_module(f"rillm.cli.{args.command}")
    try:
        return int(command.run(args))
    except KeyboardInterrupt:
        print("\nrillm: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rillm replay x | head`: the reader left; not an error of ours
        sys.stderr.close()
        return 0


def _run_with_backend(backend: str, arguments: list[str]) -> int:
    """The command again, in a child process whose RILLM_BACKEND is `backend` (checked loadable first)."""
    if backend == "rust":
        problem = _rust_problem()
        if problem:
            print(f"rillm: --backend rust: {problem}", file=sys.stderr)
            return 2
    env = {**os.environ, "RILLM_BACKEND": backend}
    try:
        return subprocess.call([sys.executable, "-m", "rillm", *arguments], env=env)
    except KeyboardInterrupt:
        return 130


def _rust_problem() -> str | None:
    """Why the Rust extension cannot be the backend, or None."""
    import rillm

    try:
        native = importlib.import_module("rillm._native")
    except ImportError as exc:
        return (
            f"the Rust extension cannot be imported ({exc}); build it (`make dev`, or `maturin develop --release`) "
            "or install a wheel, or use --backend python"
        )
    if native.__version__ != rillm.__version__:
        return f"the Rust extension is version {native.__version__}, not {rillm.__version__}: rebuild it (`make dev`)"
    return None
