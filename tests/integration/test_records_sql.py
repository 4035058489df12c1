"""The records contract on a real PostgreSQL (infra/up.sh's, or FARPOINT_DATABASE__URL), plus
what only the SQL records do: migrations match the tables, many processes migrate at once, an
unreachable database is a clear TransientError."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from farpoint.errors import TransientError
from farpoint.records import open_records
from farpoint.records.migrate import current, head, upgrade
from farpoint.records.schema import metadata
from farpoint.records.sql import SqlRecords, make_engine
from farpoint.settings import DatabaseSettings
from tests.contracts.records_contract import RecordsContract

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pg(database_url: str) -> Iterator[SqlRecords]:
    rec = SqlRecords.from_url(database_url, pool_size=20)
    yield rec
    rec.close()


class TestPostgresRecords(RecordsContract):
    @pytest.fixture
    def records(self, pg: SqlRecords) -> SqlRecords:
        return pg


def test_migrations_create_exactly_the_schema(pg: SqlRecords) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    assert pg.engine.dialect.name == "postgresql"
    assert current(pg.engine) == head()
    with pg.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_concurrent_upgrades_are_safe(database_url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        engine = make_engine(database_url)
        try:
            upgrade(engine)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert errors == []


def test_unreachable_database_is_a_transient_error(database_url: str) -> None:
    from sqlalchemy import make_url

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    url = make_url(database_url).set(port=free).render_as_string(hide_password=False)
    with pytest.raises(TransientError, match="records database unreachable"):
        open_records(DatabaseSettings(connect_timeout_s=2), url=url)
    rec = SqlRecords(make_engine(url, connect_timeout_s=2))
    with pytest.raises(TransientError, match="records database unreachable"):
        rec.ping()
    # Every call: a worker retries and redelivers instead of failing the job.
    with pytest.raises(TransientError, match="records database unreachable"):
        rec.progress("t", "j", "embedding")
    with pytest.raises(TransientError, match="records database unreachable"):
        rec.create_job("t", "select", {}, "j")
    rec.close()
