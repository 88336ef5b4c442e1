"""'did you mean …?' hints for a name that is close to one that exists."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to `word` (difflib ratio >= 0.6), or None."""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest choice, or "" when none is close."""
    found = closest(word, choices)
    return f"; did you mean '{found}'?" if found is not None else ""
