"""Validate rendered Kubernetes manifests offline, strictly, against their JSON schemas.

Built-in kinds use the schemas PyPI's ``kubernetes-validate`` bundles (strict: unknown fields are
errors); KEDA's CRDs (``keda.sh/v1alpha1``) use the local schemas in
charts/farpoint/tests-schemas/. Nothing is downloaded.

    python tests/chart/validate.py --kube-version 1.33.0 rendered.yaml [...]

prints one line per failure (``file: Kind/name: path: message``) and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

CRD_SCHEMAS = Path(__file__).resolve().parents[2] / "charts" / "farpoint" / "tests-schemas"


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that rejects duplicate keys (PyYAML keeps the last one silently)."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def documents(text: str) -> list[dict[str, Any]]:
    """The non-empty YAML documents of a multi-document stream (duplicate keys are errors)."""
    return [d for d in yaml.load_all(text, Loader=_StrictLoader) if d]


def _crd_schema(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The local schema of a custom resource; None for Kubernetes' own kinds."""
    group, _, version = str(doc.get("apiVersion", "")).rpartition("/")
    if "." not in group or group.endswith(".k8s.io"):  # core, apps, policy, *.k8s.io, ...
        return None
    path = CRD_SCHEMAS / f"{str(doc.get('kind', '')).lower()}-{group.split('.')[0]}-{version}.json"
    if not path.is_file():
        raise LookupError(f"no local schema for {doc.get('apiVersion')} {doc.get('kind')}: {path}")
    return json.loads(path.read_text())


def validate_document(doc: dict[str, Any], kube_version: str) -> list[str]:
    """Error messages for one manifest (empty when valid)."""
    if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
        return ["not a Kubernetes object (no kind/apiVersion)"]
    try:
        schema = _crd_schema(doc)
    except LookupError as exc:
        return [str(exc)]
    if schema is not None:
        validator = jsonschema.Draft202012Validator(schema)
        return [
            f"{'/'.join(str(p) for p in err.absolute_path) or '.'}: {err.message}"
            for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        ]
    try:
        kubernetes_validate.validate(doc, kube_version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = "/".join(str(p) for p in exc.path) or "."
        return [f"{where}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [f"no schema: {exc}"]
    return []


def validate_texts(named_texts: Iterable[tuple[str, str]], kube_version: str) -> list[str]:
    """Failures over several rendered streams, each prefixed with its name and object."""
    failures = []
    for name, text in named_texts:
        try:
            docs = documents(text)
        except yaml.YAMLError as exc:
            failures.append(f"{name}: not valid YAML: {' '.join(str(exc).split())}")
            continue
        if not docs:
            failures.append(f"{name}: renders no objects")
        for doc in docs:
            ident = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
            failures.extend(f"{name}: {ident}: {e}" for e in validate_document(doc, kube_version))
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kube-version", required=True, help="e.g. 1.33.0")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    failures = validate_texts(((str(f), f.read_text()) for f in args.files), args.kube_version)
    for line in failures:
        sys.stderr.write(line + "\n")
    sys.stdout.write(
        f"validated {len(args.files)} rendered files against Kubernetes "
        f"{args.kube_version} schemas (+ local KEDA schemas): {len(failures)} failures\n"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
