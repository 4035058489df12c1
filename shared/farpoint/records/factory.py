"""Records from settings: ``database.url`` set -> :class:`SqlRecords` (migrated); unset -> None
(no records database: jobs live in the object store only)."""

from __future__ import annotations

from farpoint.records.base import Records
from farpoint.settings import DatabaseSettings


def open_records(settings: DatabaseSettings, url: str | None = None) -> Records | None:
    """The records the settings name (``url``, when given, wins); None when none is configured.

    Raises :class:`farpoint.errors.TransientError` when the database cannot be reached.
    """
    if url is None:
        if settings.url is None:
            return None
        url = settings.url.get_secret_value()
    if url == "memory":
        from farpoint.records.memory import MemoryRecords

        return MemoryRecords()
    from sqlalchemy.exc import DBAPIError, OperationalError

    from farpoint.errors import TransientError
    from farpoint.records.sql import SqlRecords, make_engine

    engine = make_engine(url, settings.pool_size, settings.connect_timeout_s)
    try:
        from farpoint.records.migrate import upgrade

        upgrade(engine)
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        first = (str(exc.orig or exc).splitlines() or ["unreachable"])[0]
        raise TransientError(f"records database unreachable: {first}") from exc
    return SqlRecords(engine)
