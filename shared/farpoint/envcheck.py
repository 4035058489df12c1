"""Which ``FARPOINT_*`` environment variables farpoint reads, and which it would silently ignore.

:class:`~farpoint.settings.Settings` ignores unknown ``FARPOINT_*`` variables (``extra="ignore"``),
so a misspelt or stale name in a deployment (``FARPOINT_KAFKA__SASL_PASWORD_FILE``) changes
nothing and says nothing. :func:`unknown_variables` names them: ``farpoint serve`` logs a warning
for each at start-up, and tests/chart/test_env_contract.py fails when the Helm chart sets one.

A name is known when it maps to a field of ``Settings`` — nested models joined with ``__``,
case-insensitive, as pydantic-settings reads them (a nested model's own name, e.g.
``FARPOINT_KAFKA``, takes a JSON object) — or is in :data:`OTHER_VARIABLES`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable

from pydantic import BaseModel

from farpoint.settings import Settings

PREFIX = "FARPOINT_"
DELIMITER = "__"

# FARPOINT_* variables read outside Settings, each with its reader. Keep this small: a new
# setting belongs in farpoint.settings. `farpoint serve` reads nothing outside Settings.
OTHER_VARIABLES: dict[str, str] = {}


def _models_in(annotation: object) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (``S3Settings``, ``S3Settings | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def settings_variables(model: type[BaseModel] = Settings, prefix: str = PREFIX) -> set[str]:
    """Every variable name (upper case) that sets a field of ``model``, nested ones included."""
    names: set[str] = set()
    for field_name, info in model.model_fields.items():
        name = (prefix + field_name).upper()
        names.add(name)
        for nested in _models_in(info.annotation):
            names |= settings_variables(nested, name + DELIMITER)
    return names


def is_known(name: str) -> bool:
    """Whether farpoint reads the variable ``name`` (case-insensitive)."""
    upper = name.upper()
    return upper in _KNOWN or upper in OTHER_VARIABLES


def unknown_variables(names: Iterable[str]) -> list[str]:
    """The ``FARPOINT_*`` names among ``names`` that farpoint does not read, sorted."""
    return sorted(
        {n for n in names if n.upper().startswith(PREFIX) and not is_known(n)}
    )


_KNOWN = frozenset(settings_variables())
