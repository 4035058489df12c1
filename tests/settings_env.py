"""Build farpoint Settings as if some extra environment variables were set (tests only)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from farpoint.settings import Settings


def settings_with_env(env: Mapping[str, str]) -> Settings:
    """``Settings()`` read with ``env`` added to ``os.environ``, which is restored afterwards."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return Settings()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
