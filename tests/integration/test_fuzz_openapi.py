"""Property-based fuzzing of the gateway's OpenAPI (schemathesis) against the real stack: no 5xx.

Every operation of /openapi.json gets generated requests — schema-valid and schema-invalid
bodies, odd path and query parameters, random multipart uploads — sent over HTTP to a real
gateway (uvicorn over the real S3 and Kafka servers) with an admin key of a fresh tenant, so
every route is reached past authentication. Bounded: ``FARPOINT_FUZZ_EXAMPLES`` examples per
operation and mode (default 15) and ``FARPOINT_FUZZ_BUDGET_S`` seconds in all (default 60).
Schema-invalid requests also mangle the ``Authorization`` header (the bearer scheme is in the
spec): those must answer 401, never 5xx.

Hypothesis drives the generation directly (``APIOperation.as_strategy``): schemathesis' own
pytest loader does not work with pytest 9.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from tests.integration.security_stack import Stack, stack, tenant_name  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

log = logging.getLogger(__name__)
EXAMPLES = int(os.environ.get("FARPOINT_FUZZ_EXAMPLES", "15"))
BUDGET_S = float(os.environ.get("FARPOINT_FUZZ_BUDGET_S", "60"))


def _fuzz(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    headers: dict[str, str],
    deadline: float,
    statuses: dict[str, list[int]],
    server_errors: list[str],
) -> None:
    """Send up to EXAMPLES generated requests for one operation; record statuses and 5xx."""
    name = f"{operation.method.upper()} {operation.path} ({mode.value})"
    seen = statuses.setdefault(name, [])

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded time
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: schemathesis.Case) -> None:
        if time.monotonic() > deadline:
            return
        response = case.call(headers=headers, timeout=30)
        seen.append(response.status_code)
        if response.status_code >= 500:
            server_errors.append(
                f"{name}: {response.status_code} for {case.formatted_path} "
                f"query={case.query} body={str(case.body)[:200]}: {response.text[:300]}"
            )

    fuzz()


def test_no_server_errors(stack: Stack) -> None:  # noqa: F811
    schema = schemathesis.openapi.from_url(f"{stack.url}/openapi.json")
    headers = stack.key(tenant_name("fuzz"), "admin")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    deadline = time.monotonic() + BUDGET_S
    statuses: dict[str, list[int]] = {}
    server_errors: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, headers, deadline, statuses, server_errors)
    every = [s for codes in statuses.values() for s in codes]
    log.info(
        "fuzz: %d requests over %d operations; statuses %s",
        len(every),
        len(operations),
        dict(Counter(every).most_common()),
    )
    assert len(every) >= 2 * len(operations), f"too few requests sent: {statuses}"
    assert not server_errors, "\n".join(server_errors[:20])
    assert any(400 <= s < 500 for s in every) and any(s < 300 for s in every)


SCHEMATHESIS_EXAMPLES = int(os.environ.get("FARPOINT_SCHEMATHESIS_EXAMPLES", "10"))
SCHEMATHESIS_BUDGET_S = int(os.environ.get("FARPOINT_SCHEMATHESIS_BUDGET_S", "90"))


def test_schemathesis_all_checks_pass_with_a_writer_key(stack: Stack, tmp_path: Path) -> None:  # noqa: F811
    """``schemathesis run --checks all`` (the CLI, as a REST consumer runs it) with a writer key:
    every status a route answers is documented with the real error envelope, schema-valid
    requests are accepted, schema-invalid ones refused, and every operation is exercised."""
    schema_url = f"{stack.url}/openapi.json"
    spec = httpx.get(schema_url, timeout=30).json()
    operations = {
        f"{method.upper()} {path}" for path, ops in spec["paths"].items() for method in ops
    }
    token = stack.key(tenant_name("st"), "writer")["Authorization"]
    report = tmp_path / "events.ndjson"
    cmd = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(ROOT / "schemathesis.toml"),
        "run",
        schema_url,
        "--checks",
        "all",
        "-H",
        f"Authorization: {token}",
        "--max-examples",
        str(SCHEMATHESIS_EXAMPLES),
        "--max-time",
        str(SCHEMATHESIS_BUDGET_S),
        "--seed",
        "1",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
    run = subprocess.run(  # noqa: S603 - our own venv's schemathesis, fixed arguments
        cmd,
        cwd=tmp_path,  # schemathesis keeps its cache (.schemathesis/) in the working folder
        capture_output=True,
        text=True,
        timeout=SCHEMATHESIS_BUDGET_S + 120,
        check=False,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-8000:]
    tested = {
        label
        for line in report.read_text().splitlines()
        for label in re.findall(r'"label":\s*"((?:GET|POST|PUT|PATCH|DELETE) [^"]+)"', line)
    }
    assert operations <= tested, f"not exercised: {sorted(operations - tested)}\n{out[-3000:]}"
