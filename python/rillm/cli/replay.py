"""`rillm replay FILE [--dialect D] [--build]`: decodes a captured response body with a StreamDecoder and prints
its chunks as JSON lines, or with `--build` the final response. The dialect is guessed from the content when
not given (`guess.py` has the rules).

Bad input prints the chunks decoded before the error, then the error on standard error naming the event
number and byte offset, and exits with 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

import rillm
from rillm.cli.guess import GuessError, guess_dialect
from rillm.exceptions import StreamError

__all__ = ["decode", "run"]


def decode(data: bytes, dialect: str) -> tuple[list[Any], StreamError | None]:
    """The chunks a StreamDecoder makes of `data`, and the error that stopped it (its chunks included)."""
    decoder = rillm.StreamDecoder(dialect)
    chunks: list[Any] = []
    try:
        chunks += decoder.feed(data)
        chunks += decoder.finish()
    except StreamError as exc:
        return chunks + list(exc.chunks), exc
    return chunks, None


def run(args: argparse.Namespace) -> int:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        err.print(f"[red]rillm replay:[/red] cannot read {path}: {exc.strerror or exc}")
        return 2
    dialect = args.dialect
    if dialect is None:
        try:
            dialect = guess_dialect(data)
        except GuessError as exc:
            err.print(f"[red]rillm replay:[/red] {path}: cannot guess the dialect: {exc}; pass --dialect")
            return 2
        err.print(f"{path}: {dialect} dialect (guessed; --dialect to choose)", style="dim")
    chunks, error = decode(data, dialect)
    out = sys.stdout
    if args.build:
        built = rillm.stream_chunk_builder(chunks) if chunks else None
        out.write((built.model_dump_json(indent=2) if built is not None else "null") + "\n")
    else:
        for chunk in chunks:
            out.write(chunk.model_dump_json(exclude_none=True) + "\n")
    out.flush()
    if error is not None:
        detail = error.message.removeprefix(f"rillm.{type(error).__name__}: ")
        err.print(f"[red]rillm replay:[/red] {path}: {_where(error)}: {detail}")
        shown = "built above" if args.build else "printed above"
        err.print(f"{len(chunks)} chunk(s) were decoded before the error ({shown}).", style="dim")
        return 1
    err.print(f"{len(chunks)} chunks, {len(data)} bytes, {dialect} dialect, backend {rillm.BACKEND}", style="dim")
    return 0


def _where(error: StreamError) -> str:
    """`<class> at event N, byte offset M`, with what the error knows of its position."""
    place = []
    if error.event is not None:
        place.append(f"event {error.event}")
    if error.offset is not None:
        place.append(f"byte offset {error.offset}")
    return type(error).__name__ + (" at " + ", ".join(place) if place else "")
