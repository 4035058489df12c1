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
