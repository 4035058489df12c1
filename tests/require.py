"""Skip, or fail under ``FARPOINT_REQUIRE_INFRA=1``: the one way a test says what it lacks.

A developer running ``pytest`` by hand without a server, a tool or the Debian sample data gets a
skip with the reason and the command that installs it. ``make test`` and CI set
``FARPOINT_REQUIRE_INFRA=1``: there every missing dependency *fails* the test with the same
reason, so a green run can never mean "tested nothing" (and tests/conftest.py turns any other
skip into a failure there too).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest


def required() -> bool:
    """Whether this run forbids skips (``FARPOINT_REQUIRE_INFRA=1``)."""
    return os.environ.get("FARPOINT_REQUIRE_INFRA") == "1"


def unavailable(reason: str) -> NoReturn:
    """Skip the test with ``reason``, or fail it when :func:`required`."""
    if required():
        pytest.fail(f"FARPOINT_REQUIRE_INFRA=1 forbids skipping: {reason}", pytrace=False)
    pytest.skip(reason)


def need_file(path: Path, how: str) -> Path:
    """``path`` when it exists; otherwise :func:`unavailable` with ``how`` to install it."""
    if not path.exists():
        unavailable(f"{path} missing: {how}")
    return path
