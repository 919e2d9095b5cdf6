"""Where the realistic-stream generators (`scenario`, `wire`, `mutate`) take their choices from: hypothesis's
`draw` (the parity tests, which shrink a failure to a small case) or a seeded `random.Random` (the
adversarial suite, tens of thousands of streams a run, reproducible from the seed). Every choice is written
so that the smallest draw (0, the first item, no) is the plainest stream, which is where hypothesis shrinks."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")


class Source(Protocol):
    def integer(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""
        ...


class Choices:
    """The choices the generators make, over a `Source` of integers."""

    def __init__(self, source: Source) -> None:
        self.integer = source.integer

    def choice(self, items: Sequence[T]) -> T:
        return items[self.integer(0, len(items) - 1)]

    def chance(self, per_thousand: int) -> bool:
        """True `per_thousand` times in a thousand (shrinks to False)."""
        return self.integer(0, 999) >= 1000 - per_thousand

    def sample(self, items: Sequence[T], count: int) -> list[T]:
        return [self.choice(items) for _ in range(count)]


class RandomSource:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


class DrawSource:
    def __init__(self, draw: Any) -> None:
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        value: int = self.draw(st.integers(lo, hi))
        return value


def seeded(seed: int) -> Choices:
    return Choices(RandomSource(seed))


def drawn(draw: Any) -> Choices:
    return Choices(DrawSource(draw))
