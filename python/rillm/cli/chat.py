"""`rillm chat MODEL PROMPT`: streams a completion to the terminal as it arrives: the content, the reasoning
dimmed, each tool call as its arguments build; then the usage, the cost and the time to the first token.

Without a key for the model's provider (and without `--api-base`), or with `--mock`, the call goes to the
bundled recording of the provider's dialect on a local server (`mock.py`), through the same
`completion(stream=True)` as a real call, with a one-line notice on standard error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import ExitStack
from typing import Any

from rich.console import Console

import rillm
from rillm.cli import mock
from rillm.providers import Provider, env_value, resolve

__all__ = ["has_credentials", "run"]


def has_credentials(row: Provider) -> bool:
    """Whether the environment holds what the provider authenticates with (a provider whose key is optional,
    such as a local Ollama, counts as having it)."""
    if not row.key_required:
        return True
    if row.auth == "sigv4":
        signed = bool(os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"))
        return signed or env_value(row.api_key_env) is not None
    return env_value(row.api_key_env) is not None or env_value(row.token_env) is not None


def run(args: argparse.Namespace) -> int:
    err = Console(stderr=True, highlight=False)
    try:
        row, _ = resolve(args.model)
    except rillm.BadRequestError as exc:
        err.print(f"[red]rillm chat:[/red] {exc.message}", markup=True)
        return 2
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    messages = ([{"role": "system", "content": args.system}] if args.system else []) + [
        {"role": "user", "content": prompt}
    ]
    kwargs: dict[str, Any] = {"stream": True}
    if args.max_tokens is not None:
        kwargs["max_tokens"] = args.max_tokens
    if row.stream_options:
        kwargs["stream_options"] = {"include_usage": True}
    use_mock = args.mock or (args.api_base is None and not has_credentials(row))
    with ExitStack() as stack:
        if use_mock:
            served = mock.recording(row.dialect)
            server = stack.enter_context(mock.MockServer(served))
            kwargs.update(api_base=server.url, **mock.credentials(row.dialect))
            err.print(_notice(row, served, explicit=args.mock), style="dim", soft_wrap=True)
        elif args.api_base:
            kwargs["api_base"] = args.api_base
        return _stream(args, row, messages, kwargs, err)


def _notice(row: Provider, served: mock.Recording, *, explicit: bool) -> str:
    where = f"the bundled recording {served.name} ({row.dialect} dialect) from a local server"
    if explicit:
        return f"--mock: streaming {where}, through completion(stream=True)."
    keys = " or ".join(row.api_key_env) or "a key"
    return f"No key for {row.name} ({keys} not set): streaming {where} instead (--mock). Set the key for a real call."


def _stream(
    args: argparse.Namespace, row: Provider, messages: list[dict[str, Any]], kwargs: dict[str, Any], err: Console
) -> int:
    out = Console(highlight=False, soft_wrap=True)
    started = time.perf_counter()
    first: float | None = None
    view = _View(out)
    try:
        stream = rillm.completion(args.model, messages, **kwargs)
        for chunk in stream:
            if args.json:
                out.out(chunk.model_dump_json(exclude_none=True), highlight=False)
                continue
            if view.show(chunk) and first is None:
                first = time.perf_counter() - started
    except rillm.APIError as exc:
        view.end()
        err.print(f"[red]rillm chat:[/red] {type(exc).__name__}: {exc.message}", markup=True, soft_wrap=True)
        if isinstance(exc, rillm.APIConnectionError) and not isinstance(exc, rillm.StreamError):
            err.print("Is the server up? `--mock` streams a bundled recording instead.", style="dim")
        return 1
    view.end()
    if not args.json:
        err.print(
            _summary(args.model, row, stream, messages, first, time.perf_counter() - started),
            style="bold",
            soft_wrap=True,
        )
    return 0


class _View:
    """Writes each part of the deltas as it comes: reasoning dimmed, content plain, tool calls in cyan as
    `name(arguments)` with the arguments growing in place."""

    def __init__(self, out: Console) -> None:
        self.out = out
        self.section = ""  # what was written last: "reasoning", "content" or "tool:<index>"

    def _enter(self, section: str, heading: str = "") -> None:
        if self.section != section:
            if self.section.startswith("tool:"):
                self.out.out(")", style="cyan", end="")
            if self.section:
                self.out.out("\n", end="")
            if heading:
                self.out.out(heading, style="cyan", end="")
            self.section = section

    def show(self, chunk: Any) -> bool:
        """Writes the chunk's deltas; whether it had any text (reasoning, content or a tool call)."""
        shown = False
        for choice in chunk.choices:
            delta = choice.delta
            reasoning = getattr(delta, "reasoning_content", None)
            if reasoning:
                self._enter("reasoning")
                self.out.out(reasoning, style="dim", end="")
                shown = True
            if delta.content:
                self._enter("content")
                self.out.out(delta.content, end="")
                shown = True
            for call in delta.tool_calls or ():
                name = call.function.name if call.function else None
                self._enter(f"tool:{call.index}", f"→ {name or 'tool'}(")
                if call.function and call.function.arguments:
                    self.out.out(call.function.arguments, style="cyan", end="")
                shown = True
        return shown

    def end(self) -> None:
        self._enter("")


def _summary(
    model: str, row: Provider, stream: Any, messages: list[dict[str, Any]], first: float | None, total: float
) -> str:
    """usage · cost · time to first token · total · backend."""
    from rillm.cost import cost_of_usage

    response = rillm.stream_chunk_builder(stream.chunks, messages)
    usage = getattr(response, "usage", None)
    parts = []
    if usage is not None:
        reasoning = getattr(getattr(usage, "completion_tokens_details", None), "reasoning_tokens", None)
        extra = f", {reasoning} reasoning" if reasoning else ""
        parts.append(f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens{extra}")
        cost = cost_of_usage(usage, model=getattr(response, "model", None), requested_model=model, provider=row.name)
        parts.append(f"cost ${cost:.6f}" if cost is not None else "cost unknown (no price for this model)")
    else:
        parts.append("no usage reported")
    parts.append(f"first token {first:.2f} s" if first is not None else "no tokens")
    parts.append(f"total {total:.2f} s")
    parts.append(f"backend {rillm.BACKEND}")
    return " · ".join(parts)
