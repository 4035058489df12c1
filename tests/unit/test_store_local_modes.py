"""LocalStore writes files with the mode any program would (0666 minus the umask), not
mkstemp's 0600: outputs of `farpoint select` must be readable by the user's group and others
when their umask says so."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from farpoint.store.local import LocalStore


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_objects_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        store = LocalStore(tmp_path / "store")
        store.put_bytes("a/manifest.json", b"{}")
    finally:
        os.umask(old)
    path = tmp_path / "store" / "a" / "manifest.json"
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert path.read_bytes() == b"{}"
    assert [p.name for p in path.parent.iterdir()] == ["manifest.json"]  # no temp file left
