"""Durations written like the contract's `delay: "5m"`: whole units from weeks down to seconds.

Grammar: one or more `<digits><unit>` parts in descending unit order, units `w d h m s`, e.g. "30s", "5m",
"1h30m", "2d", "1w". Bare numbers are rejected on purpose: `delay: 300` could mean seconds or minutes.
Models keep the text (so specs round-trip through JSON unchanged) and expose the seconds.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
EXPECTED = "expected a duration such as '30s', '5m', '1h30m' or '2d' (units w, d, h, m, s, largest first)"


def parse_duration(text: str) -> int:
    """Seconds in `text`; ValueError (with what is accepted) for anything else."""
    if not isinstance(text, str):
        raise ValueError(f"{EXPECTED}, got {text!r}")
    match = _DURATION.match(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"invalid duration {text!r}: {EXPECTED}")
    return sum(int(n) * s for n, s in zip(match.groups(), UNIT_SECONDS.values(), strict=True) if n)


def format_duration(seconds: float) -> str:
    """300 -> '5m', 5400 -> '1h30m', 0 -> '0s', 7.5 -> '7.5s' (for plans and messages)."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    rest, parts = int(seconds), []
    for unit, size in UNIT_SECONDS.items():
        if unit == "w":
            continue  # '2w' reads worse than '14d' in a plan
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def _text_only(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError(f"{EXPECTED}; a bare number is ambiguous (seconds? minutes?)")
    return value


def _check(text: str) -> str:
    parse_duration(text)
    return text.strip()


Duration = Annotated[
    str,
    BeforeValidator(_text_only),
    AfterValidator(_check),
    Field(description="duration: '30s', '5m', '1h30m', '2d', '1w'", examples=["5m"]),
]
