"""The Helm chart renders valid manifests, and its values schema rejects mistakes clearly.

Tests that run Helm skip (with the reason) when no Helm binary is found, unless
``FARPOINT_REQUIRE_INFRA=1``, where they fail: ``make test`` / CI must never pass by skipping.
Helm is looked up in ``$FARPOINT_HELM``, then scripts/deps/chart-tools.sh's cache, then ``PATH``.
The schema and validator tests need no Helm.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.chart.validate import documents, validate_document, validate_texts
from tests.require import unavailable

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "farpoint"
KUBE = "1.33.0"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
# Values that are maps by nature (labels, env, selectors): any key is allowed there.
FREE_FORM = {"annotations", "extraEnv", "env", "nodeSelector", "podLabels", "podAnnotations",
             "nodeAffinity", "podAffinity", "podAntiAffinity"}


def _helm() -> str:
    candidates = [
        os.environ.get("FARPOINT_HELM", ""),
        str(Path.home() / ".cache" / "farpoint" / "tools" / "bin" / "helm"),
        shutil.which("helm") or "",
    ]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    unavailable("helm not installed (run `make chart-tools`)")


@pytest.fixture(scope="module")
def helm() -> str:
    return _helm()


def _run(
    helm: str, *args: str, values: dict[str, Any] | None, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    cmd = [helm, *args, str(CHART), "--kube-version", KUBE]
    if values is not None:
        path = tmp_path / "values.yaml"
        path.write_text(yaml.safe_dump(values))
        cmd += ["-f", str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _schema() -> dict[str, Any]:
    return json.loads((CHART / "values.schema.json").read_text())


def _defaults() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def _object_paths(node: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every path to a mapping in the values that is not free-form."""
    out = []
    if isinstance(node, dict) and (not path or path[-1] not in FREE_FORM):
        out.append(path)
        for key, value in node.items():
            out.extend(_object_paths(value, (*path, key)))
    return out


# --- Helm: render, validate, reject -------------------------------------------------------------


@pytest.mark.parametrize("values_file", CI_VALUES, ids=[p.stem for p in CI_VALUES])
def test_ci_value_sets_render_valid_manifests(
    helm: str, values_file: Path, tmp_path: Path
) -> None:
    done = _run(helm, "template", "fp", values=yaml.safe_load(values_file.read_text()),
                tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    failures = validate_texts([(values_file.name, done.stdout)], KUBE)
    assert failures == []
    kinds = {d["kind"] for d in documents(done.stdout)}
    assert {"Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler",
            "PodDisruptionBudget", "ServiceAccount", "CronJob"} <= kinds
    assert ("ScaledObject" in kinds) == (values_file.stem == "keda-values")


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"services": {"gateway": {"replicas": "two"}}}, ["replicas", "integer"]),
        ({"kafka": {"partitions": 0}}, ["partitions", "minimum"]),
        ({"s3": {"secure": "yes"}}, ["secure", "boolean"]),
        ({"kafka": {"sasl": {"mechanism": "GSSAPI"}}}, ["mechanism"]),
        ({"services": {"gateway": {"replica": 2}}}, ["replica", "additional"]),
        ({"servces": {}}, ["servces", "additional"]),
        ({"services": {"gatewy": {"enabled": True}}}, ["gatewy", "additional"]),
        ({"keda": {"lagThreshold": 5}}, ["lagThreshold", "additional"]),
        ({"kafka": {"sasl": {"enabled": True}}}, ["existingSecret"]),
    ],
    ids=["wrong-type", "below-minimum", "bool-as-string", "not-in-enum", "unknown-key",
         "unknown-top-level-key", "unknown-service", "misplaced-key", "sasl-without-secret"],
)
def test_wrong_values_fail_template_and_lint_with_a_schema_message(
    helm: str, values: dict[str, Any], words: list[str], tmp_path: Path
) -> None:
    for command in (["template", "fp"], ["lint", "--strict"]):
        done = _run(helm, *command, values=values, tmp_path=tmp_path)
        output = done.stdout + done.stderr
        assert done.returncode != 0, f"helm {command[0]} accepted {values}"
        assert "values don't meet the specifications of the schema" in output, output
        for word in words:
            assert word.lower() in output.lower(), f"{word!r} not in: {output}"


def test_template_checks_fail_with_the_value_to_change(helm: str, tmp_path: Path) -> None:
    values = {"keda": {"enabled": True}, "kafka": {"partitions": 4}}
    done = _run(helm, "template", "fp", values=values, tmp_path=tmp_path)
    assert done.returncode != 0
    assert "scaling.maxReplicas (12) exceeds kafka.partitions (4)" in done.stderr


# --- The values schema itself (no Helm needed) ---------------------------------------------------


def test_defaults_and_ci_values_satisfy_the_schema() -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    validator.check_schema(_schema())
    defaults = _defaults()
    assert list(validator.iter_errors(defaults)) == []
    for path in CI_VALUES:
        merged = _merge(copy.deepcopy(defaults), yaml.safe_load(path.read_text()) or {})
        errors = [e.message for e in validator.iter_errors(merged)]
        assert errors == [], f"{path.name}: {errors}"


def test_schema_rejects_an_unknown_key_at_every_level() -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    defaults = _defaults()
    paths = _object_paths(defaults)
    assert len(paths) > 40  # every service's sub-objects are covered
    for path in paths:
        values = copy.deepcopy(defaults)
        node = values
        for key in path:
            node = node[key]
        node["surpriseKey"] = 1
        errors = list(validator.iter_errors(values))
        assert errors, f"unknown key accepted under {'.'.join(path) or '(top)'}"


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


# --- The manifest validator catches what it must (no Helm needed) -------------------------------


def _deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i:1"}]},
            },
        },
    }


def _scaled_object(metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "x"},
        "spec": {"scaleTargetRef": {"name": "x"},
                 "triggers": [{"type": "kafka", "metadata": metadata}]},
    }


def test_validator_accepts_good_objects_and_rejects_unknown_fields() -> None:
    assert validate_document(_deployment(), KUBE) == []
    bad = _deployment()
    bad["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    assert any("imagePullPolcy" in e for e in validate_document(bad, KUBE))
    wrong_type = _deployment()
    wrong_type["spec"]["replicas"] = "3"
    assert validate_document(wrong_type, KUBE) != []


def test_validator_holds_keda_triggers_to_strings_and_a_version() -> None:
    good = {"bootstrapServers": "k:9092", "consumerGroup": "g", "topic": "t",
            "lagThreshold": "10", "version": "4.0.0"}
    assert validate_document(_scaled_object(good), KUBE) == []
    numeric = dict(good, lagThreshold=10)
    assert any("lagThreshold" in e for e in validate_document(_scaled_object(numeric), KUBE))
    no_version = {k: v for k, v in good.items() if k != "version"}
    assert any("version" in e for e in validate_document(_scaled_object(no_version), KUBE))


def test_validator_rejects_duplicate_keys() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: a, k: b}\n"
    failures = validate_texts([("dup.yaml", text)], KUBE)
    assert len(failures) == 1 and "duplicate key" in failures[0]
