"""Compare two string ``pattern`` constraints by searching for strings one accepts and the other refuses.

Regular expressions cannot be compared in general, so each direction is judged
by generating strings that match one pattern (hypothesis ``from_regex``,
derandomized so that a verdict never changes between runs) and testing them
against the other. A direction is reported only with a string that proves it.
"""

from __future__ import annotations

import contextlib
import functools
import re

__all__ = ["pattern_relation", "pattern_witness"]

_EXAMPLES = 150


def pattern_relation(old: str | None, new: str | None) -> tuple[bool, bool]:
    """(tightened, loosened): whether the new pattern refuses an old value, and the old one a new value.

    Without hypothesis installed nothing can be searched, so a replaced pattern is
    reported as both (the checker never calls safe what it could not examine).
    """
    try:
        return pattern_witness(new, old) is not None, pattern_witness(old, new) is not None
    except ImportError:
        return new is not None, old is not None


@functools.cache
def pattern_witness(reader: str | None, writer: str | None) -> str | None:
    """A string matching ``writer`` (any string when None) that ``reader`` refuses, or None if none is found."""
    if reader is None:
        return None
    if writer is None:
        # Some string always fails a pattern unless it matches everything.
        return next((s for s in ("", "\x00", "~~~~", "a" * 40) if re.search(reader, s) is None), None)
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    found: list[str] = []

    @settings(
        max_examples=_EXAMPLES,
        database=None,
        deadline=None,
        derandomize=True,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(st.from_regex(writer))
    def search(value: str) -> None:
        if re.search(reader, value) is None:
            found.append(value)
            raise _Found

    with contextlib.suppress(_Found):
        search()
    return found[0] if found else None


class _Found(Exception):
    """Stops the search at the first string that proves the direction."""
