"""Realistic streams, then broken: events dropped, duplicated, swapped or spliced in (a provider's error,
junk), fields given another type or a value no one expects (integers past 64 bits or 4,300 digits, 1e400,
huge strings, nesting past the depth limit), and the bytes truncated, flipped, cut out, repeated or spliced
with junk; then split at random points. `case()` draws one from a `Choices` (hypothesis or a seed)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Callable

from .framing import to_bytes
from .scenario import scenario
from .source import Choices
from .wire import DIALECTS, Event, Wire, write

# A provider's error inside the stream, as each dialect sends it.
ERRORS = {
    "openai": Event("", {"error": {"message": "The server had an error", "type": "server_error"}}),
    "anthropic": Event("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    "cohere": Event("error", {"message": "internal server error"}),
    "gemini": Event("", {"error": {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}}),
    "ollama": Event("", {"error": "an error was encountered while running the model"}),
    "bedrock": Event("throttlingException", "Too many requests", exception=True),
}
# Values of another type than a field's, for `retype`.
OTHER_TYPES: list[Any] = [None, True, 0, -1, 1.5, "", "x", [], {}, [1], {"a": 1}, 2**63, -(2**63) - 1, 2**64]
# Raw JSON no generator writes: past 64 bits, past Python's 4,300-digit int limit, overflowing floats, long
# strings, nesting just past the limit (256) and far past it.
HUGE = {
    "int63": str(2**63 - 1),
    "int65": str(2**65),
    "int_neg65": str(-(2**65)),
    "int5000": "9" * 5000,
    "float_inf": "1e400",
    "float_tiny": "1e-999",
    "string100k": json.dumps("x\u00e9" * 50000),
    "deep257": "[" * 257 + "]" * 257,
    "deep_obj300": '{"a":' * 300 + "1" + "}" * 300,
    "deep5000": "[" * 5000 + "]" * 5000,
}
# HUGE values on which a known open defect makes the backends disagree, or raise an exception that is not
# rillm's: the generated streams leave them out until the fix lands. tests/parity/test_defects.py holds each
# defect as a strict xfail; when it passes, the defect is fixed: drop it here and make its test plain.
OPEN_DEFECTS: dict[str, str] = {}
SAFE_HUGE = frozenset(HUGE) - frozenset(OPEN_DEFECTS)
JUNK = [b"\r", b"\n\n", b"data: ", b"\xff", b"{", b"]", b"\x00", b"event: error\n", b"\xe2\x82", b"[DONE]"]
JUNK += [b"\xef\xbb\xbf"]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `value` (dict keys and list indices)."""
    out = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, inner in items:
        out.append((*prefix, key))
        out.extend(_paths(inner, (*prefix, key)))
    return out


def _set(value: Any, path: tuple[Any, ...], new: Any) -> None:
    for key in path[:-1]:
        value = value[key]
    value[path[-1]] = new


def _field(c: Choices, events: list[Event], new: Callable[[Event], Any]) -> str:
    """Sets one field of one JSON event to `new(event)`; the name of what was done, or "" if nothing."""
    candidates = [e for e in events if not e.raw and isinstance(e.value, (dict, list))]
    if not candidates:
        return ""
    event = c.choice(candidates)
    paths = _paths(event.value)
    if not paths:
        return ""
    event.value = copy.deepcopy(event.value)
    _set(event.value, c.choice(paths), new(event))
    return "set"


def retype(c: Choices, wire: Wire) -> str:
    return "retype" if _field(c, wire.events, lambda _: copy.deepcopy(c.choice(OTHER_TYPES))) else ""


def huge(c: Choices, wire: Wire, allowed: frozenset[str]) -> str:
    names = sorted(n for n in HUGE if n in allowed)
    if not names:
        return ""
    name = c.choice(names)

    def placeholder(event: Event) -> str:
        key = f"\x00huge{len(event.subst)}\x00"
        event.subst[key] = HUGE[name]
        return key

    return f"huge:{name}" if _field(c, wire.events, placeholder) else ""


# Keys some dialect reads, for `add_field`.
KEYS = ["error", "usage", "choices", "index", "type", "delta", "finish_reason", "content", "text", "id", "model"]
KEYS += ["message", "candidates", "usageMetadata", "done", "stopReason", "contentBlockIndex", "tool_calls"]


def add_field(c: Choices, wire: Wire, allowed: frozenset[str]) -> str:
    """A key some dialect reads added to (or set in) an object of an event: another type, or a HUGE value."""
    objects = [e for e in wire.events if not e.raw and isinstance(e.value, dict)]
    if not objects:
        return ""
    event = c.choice(objects)
    event.value = copy.deepcopy(event.value)
    targets = [event.value] + [v for v in _values(event.value) if isinstance(v, dict)]
    target, key = c.choice(targets), c.choice(KEYS)
    names = sorted(n for n in HUGE if n in allowed)
    if names and c.chance(500):
        name = c.choice(names)
        placeholder = f"\x00huge{len(event.subst)}\x00"
        event.subst[placeholder] = HUGE[name]
        target[key] = placeholder
        return f"add:{key}:{name}"
    target[key] = copy.deepcopy(c.choice(OTHER_TYPES))
    return f"add:{key}"


def repeat_key(c: Choices, wire: Wire) -> str:
    """A key of an object of an event sent twice, one of the two values of another type (mostly the first):
    Python's json keeps the last value, at the first key's place, and so must both backends."""
    objects = [e for e in wire.events if not e.raw and isinstance(e.value, dict)]
    if not objects:
        return ""
    event = c.choice(objects)
    event.value = copy.deepcopy(event.value)
    targets = [t for t in [event.value, *_values(event.value)] if isinstance(t, dict) and t]
    target = c.choice(targets)
    key = c.choice(sorted(target))
    real = json.dumps(target[key])
    for placeholder, raw in event.subst.items():
        real = real.replace(json.dumps(placeholder), raw)
    other = json.dumps(c.choice(OTHER_TYPES))
    first, last = (real, other) if c.chance(200) else (other, real)
    placeholder = f"\x00repeat{len(event.subst)}\x00"
    event.subst[placeholder] = f"{first},{json.dumps(key)}:{last}"
    target[key] = placeholder
    return "repeat_key"


def _values(value: Any) -> list[Any]:
    inner = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
    return inner + [v for i in inner for v in _values(i)]


def reorder(c: Choices, wire: Wire) -> str:
    events = wire.events
    if not events:
        return ""
    i, j = c.integer(0, len(events) - 1), c.integer(0, len(events) - 1)
    how = c.choice(["drop", "duplicate", "swap"])
    if how == "drop":
        del events[i]
    elif how == "duplicate":
        events.insert(j, copy.deepcopy(events[i]))
    else:
        events[i], events[j] = events[j], events[i]
    return how


def splice_event(c: Choices, wire: Wire) -> str:
    kind = c.choice(["error", "junk", "json"])
    if kind == "error":
        event = copy.deepcopy(ERRORS[wire.dialect])
    elif kind == "junk":
        name = c.choice(["", "error", "ping", "messageStop"])
        event = Event(name, c.choice(["junk", "{", "[1,", "nul", ""]), raw=True)
    else:
        event = Event("", copy.deepcopy(c.choice(OTHER_TYPES)))
    wire.events.insert(c.integer(0, len(wire.events)), event)
    return f"event:{kind}"


def bytes_mutation(c: Choices, data: bytes) -> tuple[str, bytes]:
    if not data:
        return "", data
    how = c.choice(["truncate", "truncate", "flip", "splice", "cut", "repeat"])
    at = c.integer(0, len(data) - 1)
    end = min(len(data), at + c.integer(1, 64))
    if how == "truncate":
        return how, data[:at]
    if how == "flip":
        return how, data[:at] + bytes([data[at] ^ (1 << c.integer(0, 7))]) + data[at + 1 :]
    if how == "splice":
        return how, data[:at] + c.choice(JUNK) + data[at:]
    if how == "cut":
        return how, data[:at] + data[end:]
    return how, data[:end] + data[at:end] + data[end:]


@dataclass
class Case:
    dialect: str
    framing: str
    data: bytes
    cuts: list[int]
    max_event_bytes: int | None
    events: int
    mutations: list[str]

    def pieces(self) -> list[bytes]:
        return [self.data[a:b] for a, b in zip([0, *self.cuts], [*self.cuts, len(self.data)])]

    def options(self) -> dict[str, Any]:
        return {} if self.max_event_bytes is None else {"max_event_bytes": self.max_event_bytes}


EVENT_MUTATIONS = ["retype", "huge", "add_field", "repeat_key", "reorder", "splice_event"]


def case(c: Choices, mutate: int = 450, huge_values: frozenset[str] = SAFE_HUGE, dialect: str | None = None) -> Case:
    """A realistic stream of `dialect` (by default any), mutated `mutate` times in a thousand (1-3 mutations,
    on its events or its bytes), with at most 8 cuts; `huge_values` names the HUGE values it may put in a
    field."""
    dialect = dialect or c.choice(DIALECTS)
    wire = write(c, dialect, scenario(c))
    count = c.integer(1, 3) if c.chance(mutate) else 0
    plan = [c.choice([*EVENT_MUTATIONS, "bytes", "bytes"]) for _ in range(count)]
    done = []
    for name in plan:
        if name == "retype":
            done.append(retype(c, wire))
        elif name == "huge":
            done.append(huge(c, wire, huge_values))
        elif name == "add_field":
            done.append(add_field(c, wire, huge_values))
        elif name == "repeat_key":
            done.append(repeat_key(c, wire))
        elif name == "reorder":
            done.append(reorder(c, wire))
        elif name == "splice_event":
            done.append(splice_event(c, wire))
    events = len(wire.events)
    data = to_bytes(c, wire)
    for _ in range(plan.count("bytes")):
        what, data = bytes_mutation(c, data)
        done.append(what)
    return Case(dialect, wire.framing, data, cut(c, data), limit(c), events, [d for d in done if d])


def cut(c: Choices, data: bytes) -> list[int]:
    return sorted(c.integer(0, len(data)) for _ in range(c.integer(0, 8)))


def limit(c: Choices) -> int | None:
    return c.integer(16, 4096) if c.chance(50) else None


# A recording's framing, from its file name.
FRAMING_OF = {".sse": "sse", ".ndjson": "ndjson", ".json": "json_array", ".bin": "eventstream"}


def recording_case(c: Choices, dialect: str, recording: tuple[str, bytes]) -> Case:
    """A recorded stream of `dialect`, its bytes mutated 1-3 times (truncated, flipped, cut, repeated,
    spliced), then cut as `case` cuts; `recording` is (file name, bytes)."""
    name, data = recording
    done = []
    for _ in range(c.integer(1, 3)):
        what, data = bytes_mutation(c, data)
        done.append(what)
    framing = FRAMING_OF.get(name[name.rfind(".") :], "sse")
    return Case(dialect, framing, data, cut(c, data), limit(c), data.count(b"\n\n") or 1, [f"recording:{name}", *done])
