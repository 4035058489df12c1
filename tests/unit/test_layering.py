"""The package layering rule (docs/architecture.md): stage and infrastructure packages never
import the layers above them — the in-process orchestrators (``farpoint.pipeline``,
``farpoint.vectors``), the entry points (``farpoint.cli``, ``farpoint.serve``), the REST client
(``farpoint.client``) or the services. Checked statically on every module's imports (including
imports inside functions), so a lazy import cannot hide a cycle either."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "shared" / "farpoint"
ABOVE = (
    "farpoint.pipeline",
    "farpoint.vectors",
    "farpoint.cli",
    "farpoint.serve",
    "farpoint.client",
    "services",
)
LOWER = [
    "ingest",
    "quality",
    "embed",
    "normalize",
    "selection",
    "export",
    "store",
    "bus",
    "records",
    "jobs",
    "train",
    "models",
    "security",
    "auth",
]


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in ``path``."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return out


def upward(module: str) -> bool:
    return any(module == a or module.startswith(a + ".") for a in ABOVE)


@pytest.mark.parametrize("package", LOWER)
def test_lower_packages_never_import_a_layer_above(package: str) -> None:
    files = sorted((CORE / package).rglob("*.py"))
    assert files, f"no modules under {CORE / package}"
    bad = [
        f"{f.relative_to(CORE.parent)}:{line} imports {mod}"
        for f in files
        for line, mod in imports_of(f)
        if upward(mod)
    ]
    assert not bad, "layering rule broken:\n" + "\n".join(bad)


def test_the_check_sees_lazy_and_from_imports(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from farpoint import pipeline\n    import services.gateway\n")
    found = [mod for _, mod in imports_of(src) if upward(mod)]
    assert found == ["farpoint.pipeline", "services.gateway"]


def test_test_file_names_are_unique() -> None:
    """pytest imports test files by basename (the test folders are not packages): two files of
    one name in different folders stop the whole collection in a fresh checkout."""
    tests = Path(__file__).resolve().parents[1]
    seen: dict[str, Path] = {}
    clashes = []
    for path in sorted(tests.rglob("test_*.py")):
        if path.name in seen:
            clashes.append(f"{seen[path.name].relative_to(tests)} ~ {path.relative_to(tests)}")
        seen.setdefault(path.name, path)
    assert not clashes, clashes
