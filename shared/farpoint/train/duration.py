"""Durations on the command line (``--time-budget 10m``): text -> seconds."""

from __future__ import annotations

import math
import re

from farpoint.errors import InputError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|sec|m|min|h|hr|d)?\s*$", re.I)
_UNIT_S = {
    None: 1.0,
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "d": 86400.0,
}


def parse_duration(text: str | float | int) -> float:
    """``"90s"``, ``"10m"``, ``"1h"``, ``"1.5h"``, ``"45"`` (seconds) -> seconds (> 0)."""
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        m = _DURATION.match(text)
        if not m:
            raise InputError(f"bad duration {text!r}; use e.g. 90s, 10m, 1h")
        seconds = float(m.group(1)) * _UNIT_S[m.group(2).lower() if m.group(2) else None]
    if not seconds > 0 or not math.isfinite(seconds):
        raise InputError(f"duration must be positive, got {text!r}")
    return seconds
