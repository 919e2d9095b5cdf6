"""Re-checks rillm's bundled price table (python/rillm/cost/prices.json) against another map in LiteLLM's
format: LiteLLM's own `model_prices_and_context_window.json`, or a file someone keeps by hand.

    python -m tests.check_prices https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json
    python -m tests.check_prices path/to/map.json --list

Each model of the other map is priced the way rillm would price that name (its key, with the map's
`litellm_provider`), so `us.anthropic.claude-sonnet-4-5-20250929-v1:0` meets rillm's
`bedrock/anthropic.claude-sonnet-4-5`; every price field both sides set is compared. It prints the
differences, the bundled entries no name of the other map reaches, and the entries that could only be
cross-checked, and exits 1 when a price differs. `--list` prints the whole table in USD per million tokens,
for reading against a provider's page. A difference is a question, not an answer: the provider's page
decides.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from rillm.cost._table import Entries, _bundled, _find, _index, read_map

PRICE_FIELDS = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "cache_creation_input_token_cost_above_1hr",
    "output_cost_per_reasoning_token",
)


def price_fields(entry: dict[str, Any]) -> dict[str, float]:
    """The entry's prices: the fields above and the `<rate>_above_<n>_tokens` tiers."""
    return {
        key: float(value)
        for key, value in entry.items()
        if (key in PRICE_FIELDS or "_above_" in key) and isinstance(value, (int, float)) and not isinstance(value, bool)
    }


def compare(entries: Entries, other: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(differences, bundled keys no name of the other map resolves to), one line each."""
    index = _index(entries)
    differences: list[str] = []
    reached: set[str] = set()
    for name, theirs in other.items():
        if not isinstance(theirs, dict) or name == "sample_spec":
            continue
        provider = theirs.get("litellm_provider")
        hit = _find(index, [name], provider if isinstance(provider, str) else None)
        if hit is None:
            continue
        key = hit[0]
        reached.add(key)
        ours, other_prices = price_fields(entries[key][0]), price_fields(theirs)
        for field, value in ours.items():
            if field in other_prices and not math.isclose(value, other_prices[field], rel_tol=1e-9, abs_tol=1e-15):
                differences.append(
                    f"{name} -> {key} {field}: ours {mtok(value)}, theirs {mtok(other_prices[field])} $/MTok"
                )
    return differences, [key for key in entries if key not in reached]


def mtok(value: float) -> str:
    return f"{value * 1_000_000:.6g}"


def listing(entries: Entries) -> list[str]:
    lines = []
    for key, (entry, _) in entries.items():
        prices = ", ".join(
            f"{field.replace('_cost', '')}={mtok(value)}" for field, value in price_fields(entry).items()
        )
        mark = "  [cross-checked only]" if "cross_checked" in entry else ""
        lines.append(f"{key}: {prices}{mark}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", help="a LiteLLM-format map: a path or an http(s) URL")
    parser.add_argument("--list", action="store_true", help="also print the bundled table in $/MTok")
    args = parser.parse_args(argv)
    entries = _bundled()
    if args.list:
        print("\n".join(listing(entries)))
    differences, missing = compare(entries, read_map(args.other))
    unverified = [key for key, (entry, _) in entries.items() if "cross_checked" in entry]
    print(f"{len(entries)} bundled entries; {len(differences)} differing prices; {len(missing)} reached by no name")
    for line in differences:
        print("DIFFERS", line)
    for key in missing:
        print("UNREACHED", key)
    print(f"{len(unverified)} entries were only cross-checked (see their `cross_checked`)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
