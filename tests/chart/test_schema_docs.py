"""The chart's values are documented where tools read them: every value in values.schema.json
has a description (editors and `helm show values` users see it), and values.yaml points editors
at the schema with a modeline."""

from __future__ import annotations

import json
from pathlib import Path

CHART = Path(__file__).resolve().parents[2] / "charts" / "farpoint"


def _undocumented(node: object, path: str) -> list[str]:
    out: list[str] = []
    if not isinstance(node, dict):
        return out
    for key, sub in node.get("properties", {}).items():
        where = f"{path}.{key}" if path else key
        if isinstance(sub, dict) and not str(sub.get("description", "")).strip():
            out.append(where)
        out += _undocumented(sub, where)
    for defs in ("$defs", "definitions"):
        for key, sub in node.get(defs, {}).items():
            out += _undocumented(sub, f"#/{defs}/{key}")
    for key in ("items", "additionalProperties"):
        out += _undocumented(node.get(key), f"{path}[]")
    return out


def test_every_value_in_the_schema_has_a_description() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    missing = _undocumented(schema, "")
    assert not missing, f"values without a description in values.schema.json: {missing}"


def test_the_walk_finds_an_undocumented_value() -> None:
    schema = {"properties": {"a": {"type": "string", "description": "x"}, "b": {"type": "integer"}}}
    assert _undocumented(schema, "") == ["b"]


def test_values_yaml_names_its_schema() -> None:
    first = (CHART / "values.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=values.schema.json"
