"""What a realistic assistant turn holds, before any dialect writes it: reasoning, text and tool calls in
the order a model sends them, each streamed in pieces (arguments in fragments cut anywhere, escapes and
multi-byte characters included), then a finish reason and usage. `wire.py` writes a scenario in each
dialect's events; the recordings in tests/fixtures/streams are the models for both."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Union

from .source import Choices

# Pieces of streamed text: mostly words, with what exercises escaping and UTF-8 now and then. One draw a
# piece: the generators make hundreds of choices a stream, and each costs hypothesis a draw.
WORDS = " the| a| weather| is| sunny| in| Florence|,|.| and| I| will| call| tool| to| check| it".split("|")
ODD = ["é", "中文", "\U0001f600", 'say "hi"', "back\\slash", "line\n", "\t", "\u2028", "", "\x01", "</think>", "ü "]
PIECES = WORDS + [a + b for a in WORDS[:6] for b in WORDS[6:12]] + ODD


@dataclass
class Tool:
    id: str
    name: str
    arguments: str
    fragments: list[str]


@dataclass
class Block:
    kind: str  # "reasoning", "text" or "tool"
    pieces: list[str] = field(default_factory=list)
    tool: Union[Tool, None] = None  # noqa: UP007 (dataclass annotations are evaluated on Python 3.9)


@dataclass
class Scenario:
    id: str
    model: str
    blocks: list[Block]
    finish: str  # "stop", "length" or "tool_calls"
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    signature: str


def pieces(c: Choices, most: int) -> list[str]:
    return [c.choice(PIECES) for _ in range(c.integer(1, most))]


def json_arguments(c: Choices) -> str:
    """A tool's arguments as JSON text, as a model writes it (sometimes spaced out, sometimes not ASCII)."""
    value: dict[str, Any] = {}
    for _ in range(c.integer(0, 4)):
        key = c.choice(["location", "unit", "query", "days", "options", "é", 'q"uote'])
        value[key] = c.choice(
            ["Florence, Italy", 3, -1.5, True, None, ["a", 2], {"nested": {"deep": [1, {}]}}, "é\n\U0001f600", ""]
        )
    indent = c.choice([None, None, 1, 4])
    return json.dumps(value, indent=indent, ensure_ascii=c.chance(500))


def fragments(c: Choices, text: str) -> list[str]:
    """`text` cut at random points into pieces that join back to it (empty pieces included)."""
    if not text:
        return [""]
    points = sorted(c.integer(0, len(text)) for _ in range(c.integer(0, min(12, len(text)))))
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)])]


def tool(c: Choices, number: int) -> Tool:
    arguments = json_arguments(c)
    name = c.choice(["get_weather", "search", "fixed_version", "é_tool"])
    return Tool(f"call_{number}_{c.integer(0, 99999)}", name, arguments, fragments(c, arguments))


def scenario(c: Choices) -> Scenario:
    blocks = []
    if c.chance(500):
        blocks.append(Block("reasoning", pieces(c, 12)))
    for _ in range(c.integer(0, 2)):
        blocks.append(Block("text", pieces(c, 20)))
    calls = c.integer(0, 3) if c.chance(500) else 0
    blocks.extend(Block("tool", tool=tool(c, n)) for n in range(calls))
    if not blocks:
        blocks.append(Block("text", pieces(c, 20)))
    finish = "tool_calls" if calls else c.choice(["stop", "stop", "stop", "length"])
    return Scenario(
        id=f"msg_{c.integer(0, 10**9)}",
        model=c.choice(["model-x", "claude-sonnet-4-5", "gemini-2.5-flash", "gpt-4o", "é"]),
        blocks=blocks,
        finish=finish,
        prompt_tokens=c.integer(0, 5000),
        completion_tokens=c.integer(0, 5000),
        cached_tokens=c.choice([0, 0, c.integer(0, 1000)]),
        reasoning_tokens=c.integer(0, 500) if blocks[0].kind == "reasoning" else 0,
        signature=c.choice(["", "EoQDCm0IDhgCKkCDzGs2kL2P", "sig+/="]),
    )
