"""`rillm providers [--markdown]`: the provider table (prefix, dialect, default base URL, key variables,
auth), from the same data `completion()` reads (rillm/providers/table.json)."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from rillm.providers import Provider, providers

__all__ = ["rows", "run"]

COLUMNS = ("prefix", "dialect", "default base URL", "key env vars", "auth")


def rows(markdown: bool = False) -> list[tuple[str, ...]]:
    """One tuple of COLUMNS per row of the table, in the table's order (names in backticks for Markdown)."""
    return [_row(row, "`" if markdown else "") for row in providers().values()]


def _row(row: Provider, quote: str) -> tuple[str, ...]:
    if row.api_base:
        base = row.api_base
    else:
        base = "none: api_base=" + "".join(f" or {quote}{name}{quote}" for name in row.api_base_env)
    keys = ", ".join(f"{quote}{name}{quote}" for name in row.api_key_env + row.token_env) or "none"
    if not row.key_required:
        keys += " (optional)"
    return (f"{quote}{row.name}{quote}", row.dialect, base, keys, row.auth)


def run(args: argparse.Namespace) -> int:
    if args.markdown:
        print("| " + " | ".join(COLUMNS) + " |")
        print("|" + " --- |" * len(COLUMNS))
        for values in rows(markdown=True):
            print("| " + " | ".join(values) + " |")
        return 0
    table = Table(*COLUMNS, title=f"rillm's {len(providers())} providers: use them as prefix/model")
    for values in rows():
        table.add_row(*values)
    Console().print(table)
    return 0
