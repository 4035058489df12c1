"""The chart, the settings and ``farpoint serve`` agree on the environment.

For every ci values set, the chart is rendered and every ``FARPOINT_*`` variable a container gets
(its ``env`` and the ConfigMap its ``envFrom`` names) must be one farpoint reads: a field of
:class:`farpoint.settings.Settings` (nested with ``__``) or one of
:data:`farpoint.envcheck.OTHER_VARIABLES`. Then each container's environment is loaded as the pod
would load it (mounted secrets replaced by files under tmp) and must give a process that listens
on all interfaces at the containerPort the probes use, joins the consumer group KEDA watches,
passes :func:`~farpoint.security.production.validate_production` and builds a Kafka client config.

Helm is found as in test_chart.py (skip without it unless ``FARPOINT_REQUIRE_INFRA=1``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from farpoint.bus.kafka import client_config
from farpoint.envcheck import OTHER_VARIABLES, unknown_variables
from farpoint.security.production import validate_production
from farpoint.serve import listen_config
from farpoint.settings import Settings
from tests.chart.test_chart import CHART, CI_VALUES, KUBE, _helm
from tests.chart.validate import documents

SECRETS_DIR = "/var/run/secrets/"
STRONG_SECRET = "b6f1c0d94e2a7f38a5c1e0d9b8a7f6e5"
ACCESS_KEY = "svc-farpoint"
# (kafka.sasl.enabled, kafka.tls.enabled) -> the protocol the services must speak
PROTOCOLS = {
    (False, False): "PLAINTEXT",
    (False, True): "SSL",
    (True, False): "SASL_PLAINTEXT",
    (True, True): "SASL_SSL",
}


@pytest.fixture(scope="module")
def helm() -> str:
    return _helm()


def render(helm: str, values_files: list[Path], tmp_path: Path) -> list[dict[str, Any]]:
    cmd = [helm, "template", "fp", str(CHART), "--namespace", "farpoint", "--kube-version", KUBE]
    for f in values_files:
        cmd += ["-f", str(f)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return documents(done.stdout)


def pod_spec(d: dict[str, Any]) -> dict[str, Any]:
    """The pod spec of a Deployment or a CronJob."""
    if d["kind"] == "CronJob":
        return d["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    return d["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def container_envs(
    docs: list[dict[str, Any]], kind: str = "Deployment"
) -> dict[str, list[dict[str, Any]]]:
    """``<object>/<container>`` of each object of ``kind`` (Deployment, CronJob) -> its env
    entries, ConfigMap ``envFrom`` data first."""
    configmaps = {
        d["metadata"]["name"]: d.get("data") or {} for d in docs if d["kind"] == "ConfigMap"
    }
    out: dict[str, list[dict[str, Any]]] = {}
    for d in docs:
        if d["kind"] != kind:
            continue
        for c in pod_spec(d)["containers"]:
            entries: list[dict[str, Any]] = []
            for source in c.get("envFrom", []):
                ref = source.get("configMapRef")
                assert ref, f"{d['metadata']['name']}: only ConfigMap envFrom is expected"
                data = configmaps[ref["name"]]
                entries += [{"name": k, "value": v} for k, v in data.items()]
            entries += c.get("env", [])
            out[f"{d['metadata']['name']}/{c['name']}"] = entries
    return out


def farpoint_names(docs: list[dict[str, Any]]) -> set[str]:
    """Every FARPOINT_* name set on a container (services, retention CronJob) or in a ConfigMap."""
    envs = {**container_envs(docs), **container_envs(docs, "CronJob")}
    names = {e["name"] for entries in envs.values() for e in entries}
    for d in docs:
        if d["kind"] == "ConfigMap":
            names |= set((d.get("data") or {}).keys())
    return {n for n in names if n.startswith("FARPOINT_")}


def pod_environment(entries: list[dict[str, Any]], root: Path) -> dict[str, str]:
    """The FARPOINT_* variables as the pod sees them; mounted secret files are made under root."""
    env: dict[str, str] = {}
    for e in entries:
        name = e["name"]
        if not name.startswith("FARPOINT_"):
            continue
        if "valueFrom" in e:
            assert "secretKeyRef" in e["valueFrom"], e
            env[name] = ACCESS_KEY
            continue
        value = str(e["value"])
        if value.startswith(SECRETS_DIR):
            path = root / value.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(STRONG_SECRET + "\n")
            value = str(path)
        env[name] = value
    return env


# --- no Helm needed ------------------------------------------------------------------------------


def test_checker_rejects_a_misspelt_name_and_accepts_real_ones() -> None:
    names = [
        "FARPOINT_KAFKA__SASL_PASWORD_FILE",  # misspelt
        "FARPOINT_KAFKA_BOOTSTRAP",  # single underscore: not nested
        "FARPOINT_S3__SECRET_KEY_FILE",
        "farpoint_kafka__sasl_password_file",  # case-insensitive, as pydantic-settings reads
        "FARPOINT_HOST",
        "farpoint_log_level",  # Settings.log_level, which farpoint.cli reads too
        "HOME",  # not farpoint's
    ]
    assert unknown_variables(names) == ["FARPOINT_KAFKA_BOOTSTRAP",
                                        "FARPOINT_KAFKA__SASL_PASWORD_FILE"]
    assert unknown_variables(["FARPOINT_NO_SUCH_SETTING"]) == ["FARPOINT_NO_SUCH_SETTING"]


def test_allowlist_is_small_and_documented() -> None:
    assert len(OTHER_VARIABLES) <= 5
    assert all(name.startswith("FARPOINT_") and why for name, why in OTHER_VARIABLES.items())
    assert not set(OTHER_VARIABLES) & {n.upper() for n in Settings.model_fields}


# --- the rendered chart ---------------------------------------------------------------------------


@pytest.mark.parametrize("values_file", CI_VALUES, ids=[p.stem for p in CI_VALUES])
def test_every_farpoint_variable_the_chart_sets_is_read(
    helm: str, values_file: Path, tmp_path: Path
) -> None:
    names = farpoint_names(render(helm, [values_file], tmp_path))
    assert {"FARPOINT_HOST", "FARPOINT_PORT", "FARPOINT_S3__SECRET_KEY_FILE",
            "FARPOINT_JOBS__TTL_DAYS"} <= names
    assert unknown_variables(names) == []


def test_an_unknown_variable_in_the_chart_is_caught(helm: str, tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(yaml.safe_dump({
        "settings": {"extraEnv": {"FARPOINT_KAFKA__SASL_PASWORD": "x"}},
        "services": {"ingest": {"env": {"FARPOINT_NO_SUCH_SETTING": "1"}}},
    }))
    names = farpoint_names(render(helm, [CI_VALUES[0], extra], tmp_path))
    assert unknown_variables(names) == ["FARPOINT_KAFKA__SASL_PASWORD", "FARPOINT_NO_SUCH_SETTING"]


@pytest.mark.parametrize("values_file", CI_VALUES, ids=[p.stem for p in CI_VALUES])
def test_each_pod_environment_makes_a_working_production_service(
    helm: str, values_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = render(helm, [values_file], tmp_path)
    values = yaml.safe_load(values_file.read_text()) or {}
    sasl = bool(values.get("kafka", {}).get("sasl", {}).get("enabled"))
    tls = bool(values.get("kafka", {}).get("tls", {}).get("enabled"))
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    keda_groups = {
        d["spec"]["scaleTargetRef"]["name"]: t["metadata"]["consumerGroup"]
        for d in docs if d["kind"] == "ScaledObject"
        for t in d["spec"]["triggers"] if t["type"] == "kafka"
    }
    assert bool(keda_groups) == (values_file.stem == "keda-values")
    envs = container_envs(docs)
    assert len(envs) == 7
    for key, entries in envs.items():
        deployment = deployments[key.split("/")[0]]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        for name in list(os.environ):
            if name.upper().startswith("FARPOINT_"):
                monkeypatch.delenv(name)
        for name, value in pod_environment(entries, tmp_path / key).items():
            monkeypatch.setenv(name, value)
        settings = Settings()

        # farpoint serve <name>: the port the probes use, on every interface
        assert container["args"][0] == "serve"
        name = container["args"][1]
        args = argparse.Namespace(name=name, host=None, port=None, log_level=None)
        host, port, level = listen_config(args, settings)
        assert (host, port, level) == ("0.0.0.0", container["ports"][0]["containerPort"], "info")
        assert container["readinessProbe"]["httpGet"]["port"] == container["ports"][0]["name"]

        # production: secrets from mounted files, no dev defaults
        assert settings.dev_mode is False
        assert settings.s3.secret_key_file is not None
        assert settings.s3.secret_key == STRONG_SECRET
        validate_production(settings)

        # Kafka: the group KEDA scales on, the security the values ask for
        if deployment["metadata"]["name"] in keda_groups:
            assert settings.kafka.consumer_group == keda_groups[deployment["metadata"]["name"]]
        assert settings.kafka.consumer_group == f"farpoint.{name}"
        config = client_config(settings.kafka)
        assert config["security_protocol"] == PROTOCOLS[(sasl, tls)]
        assert ("sasl_plain_password" in config) == sasl
        if sasl:
            assert config["sasl_plain_password"] == STRONG_SECRET
            assert config["sasl_mechanism"] == "SCRAM-SHA-512"
        assert ("ssl_cafile" in config) == tls


@pytest.mark.parametrize("values_file", CI_VALUES, ids=[p.stem for p in CI_VALUES])
def test_the_retention_cronjob_gets_the_services_settings_and_its_ttls(
    helm: str, values_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retention CronJob (on by default) runs ``farpoint admin cleanup`` with the same
    store, records and production settings as the services, and its TTL values arrive as the
    settings model's ``jobs.ttl_days`` / ``jobs.media_ttl_days``."""
    from farpoint.cli import build_parser

    extra = tmp_path / "retention.yaml"
    extra.write_text(yaml.safe_dump({
        "retention": {"jobTtlDays": 14, "mediaTtlDays": 2.5},
        "database": {"existingSecret": "farpoint-db-app"},
    }))
    for files, ttl, media_ttl in (([values_file], 30.0, None), ([values_file, extra], 14.0, 2.5)):
        docs = render(helm, files, tmp_path)
        cronjobs = [d for d in docs if d["kind"] == "CronJob"]
        assert [d["metadata"]["name"] for d in cronjobs] == ["fp-farpoint-retention"]
        [(key, entries)] = container_envs(docs, "CronJob").items()
        spec = pod_spec(cronjobs[0])
        container = spec["containers"][0]
        deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
        service = deployments["fp-farpoint-gateway"]  # a CPU service: the CronJob's image
        assert container["image"] == pod_spec(service)["containers"][0]["image"]
        assert spec["volumes"] == pod_spec(service)["volumes"]  # the same secrets, mounted alike
        assert spec["securityContext"] == pod_spec(service)["securityContext"]
        for name in list(os.environ):
            if name.upper().startswith("FARPOINT_"):
                monkeypatch.delenv(name)
        for name, value in pod_environment(entries, tmp_path / key).items():
            monkeypatch.setenv(name, value)
        settings = Settings()
        assert (settings.jobs.ttl_days, settings.jobs.media_ttl_days) == (ttl, media_ttl)
        assert settings.dev_mode is False
        assert settings.s3.secret_key == STRONG_SECRET
        assert settings.s3.endpoint == "minio.minio-tenant.svc:443"
        assert (settings.database.url is not None) == (extra in files)
        validate_production(settings)
        args = build_parser("admin").parse_args(container["args"])
        assert (args.command, args.admin_command, args.dry_run) == ("admin", "cleanup", False)
