"""Alembic migrations of the records schema (run by :func:`farpoint.records.migrate.upgrade`)."""
