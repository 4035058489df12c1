"""The records contract on the in-memory twin and on SQLite (a migrated file database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from farpoint.records.memory import MemoryRecords
from farpoint.records.migrate import current, head
from farpoint.records.sql import SqlRecords
from tests.contracts.records_contract import RecordsContract


class TestMemoryRecords(RecordsContract):
    @pytest.fixture
    def records(self) -> MemoryRecords:
        return MemoryRecords()


class TestSqliteRecords(RecordsContract):
    @pytest.fixture
    def records(self, tmp_path: Path) -> Iterator[SqlRecords]:
        rec = SqlRecords.from_url(f"sqlite:///{tmp_path / 'records.db'}")
        yield rec
        rec.close()


def test_sqlite_is_migrated_to_head(tmp_path: Path) -> None:
    rec = SqlRecords.from_url(f"sqlite:///{tmp_path / 'r.db'}")
    assert current(rec.engine) == head() == "0003"
    rec.close()
