"""The Store contract on LocalStore (the S3 side runs in tests/integration/test_s3_store.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from farpoint.store import LocalStore
from tests.contracts.store_contract import StoreContract


class TestLocalStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> LocalStore:
        return LocalStore(tmp_path / "store")


def test_s3store_is_exported_lazily() -> None:
    import subprocess
    import sys

    code = (
        "import sys, farpoint.store as s; assert 'minio' not in sys.modules; "
        "from farpoint.store import S3Store; assert 'minio' in sys.modules; print(S3Store.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "S3Store"
