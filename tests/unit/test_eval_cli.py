"""``farpoint eval`` is wired into the CLI and parses its options."""

from __future__ import annotations

import pytest

from farpoint.cli import build_parser
from farpoint.errors import InputError
from farpoint.eval.cli import _budgets


def test_eval_subcommand_is_registered() -> None:
    args = build_parser().parse_args(
        ["eval", "--datasets", "digits", "--settings", "balanced,redundant", "--iterations", "5"]
    )
    assert args.datasets == ["digits"] and args.settings == ["balanced", "redundant"]
    assert args.iterations == 5 and callable(args.func) and not args.paper


def test_budgets() -> None:
    ds = ["fashion-mnist", "digits"]
    assert _budgets(None, ds) == {"fashion-mnist": [200], "digits": [100]}
    assert _budgets(["50"], ds) == {"fashion-mnist": [50], "digits": [50]}
    assert _budgets(["digits=30", "digits=60"], ds) == {"fashion-mnist": [200], "digits": [30, 60]}
    with pytest.raises(InputError):
        _budgets(["x"], ds)


def test_bad_dataset_is_an_input_error() -> None:
    from farpoint.eval.cli import run

    args = build_parser().parse_args(["eval", "--datasets", "cifar", "--out", "/nonexistent"])
    with pytest.raises(InputError, match="unknown dataset"):
        run(args)


def test_defaults_have_one_home_and_the_eval_checks_them() -> None:
    """`farpoint select`, the Python API and job specs read the defaults the eval decided."""
    import inspect

    from farpoint import pipeline
    from farpoint.embed.base import DEFAULT_EMBEDDER
    from farpoint.eval.cli import default_candidate
    from farpoint.jobs.spec import SelectionSpec
    from farpoint.normalize import DEFAULT_NORMALIZE, METHODS
    from farpoint.selection.registry import DEFAULT_METHOD
    from farpoint.selection.registry import METHODS as SELECTORS

    assert DEFAULT_NORMALIZE in METHODS and DEFAULT_METHOD in SELECTORS
    args = build_parser().parse_args(["select", "x.mp4", "-k", "3", "-o", "out"])
    assert (args.normalize, args.method, args.embedder) == (
        DEFAULT_NORMALIZE,
        DEFAULT_METHOD,
        DEFAULT_EMBEDDER,
    )
    params = inspect.signature(pipeline.select).parameters
    assert params["normalize"].default == DEFAULT_NORMALIZE
    assert params["method"].default == DEFAULT_METHOD
    assert SelectionSpec.model_fields["normalize"].default == DEFAULT_NORMALIZE
    assert SelectionSpec.model_fields["method"].default == DEFAULT_METHOD
    norm = "" if DEFAULT_NORMALIZE == "none" else f"+{DEFAULT_NORMALIZE}"
    assert default_candidate() == f"{DEFAULT_EMBEDDER}{norm}+{DEFAULT_METHOD}"
