"""A consuming service joins the group its deployment names (FARPOINT_KAFKA__CONSUMER_GROUP)."""

from __future__ import annotations

from pathlib import Path

import pytest

from farpoint.bus.memory import MemoryBus
from farpoint.errors import ConfigError
from farpoint.settings import KafkaSettings, Settings
from farpoint.store.local import LocalStore
from services.common.allinone import start_workers, stop_workers
from services.common.context import ServiceContext
from services.export.app import create_app as export_app
from services.ingest.app import create_app as ingest_app


def make_ctx(tmp_path: Path, **kafka: object) -> ServiceContext:
    return ServiceContext(
        settings=Settings(cache_dir=tmp_path / "cache", kafka=KafkaSettings(**kafka)),
        store=LocalStore(tmp_path / "store"),
        bus=MemoryBus(default_partitions=2),
    )


def test_default_group_is_prefix_and_service(tmp_path: Path) -> None:
    app = ingest_app(make_ctx(tmp_path))
    assert app.state.worker.group == "farpoint.ingest"


def test_deployment_group_wins(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, consumer_group="team-a.ingest", topic="farpoint.jobs.requested")
    app = ingest_app(ctx)
    assert app.state.worker.group == "team-a.ingest"
    assert app.state.worker.topics == ["farpoint.jobs.requested"]


def test_topic_the_service_does_not_consume_is_refused(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, topic="farpoint.jobs.requested")
    with pytest.raises(ConfigError, match="export service consumes farpoint.jobs.selected"):
        export_app(ctx)


def test_all_in_one_keeps_one_group_per_stage(tmp_path: Path) -> None:
    # one process, every stage: a deployment-wide group must not merge the stages' groups
    ctx = make_ctx(tmp_path, consumer_group="one-group")
    loops = start_workers(ctx, stages=("ingest", "export"))
    try:
        assert [loop.group for loop in loops] == ["farpoint.ingest", "farpoint.export"]
    finally:
        stop_workers(loops)
