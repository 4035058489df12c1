"""The grid: methods from the registry crossed with embedders and normalizations; budgets."""

from __future__ import annotations

import pytest

from farpoint.errors import InputError
from farpoint.eval.grid import budgets, grid_methods, method_name, registered_selectors
from farpoint.eval.protocol import Method
from farpoint.selection.registry import METHODS


def test_selectors_come_from_the_registry() -> None:
    sels = registered_selectors()
    assert "fps" in sels and "random" not in sels and "uniform" not in sels
    assert set(sels) <= set(METHODS)
    assert set(METHODS) - set(sels) <= {"random", "uniform"}


def test_grid_is_the_full_cross_product_with_random_first() -> None:
    names = grid_methods(["fps", "facility"], ["pixels", "imagenet"], ["none", "pca", "umap"])
    assert names[0] == "random"
    assert len(names) == 1 + 2 * 2 * 3 and len(set(names)) == len(names)
    assert "imagenet+pca+facility" in names and "pixels+fps" in names
    for n in names[1:]:
        m = Method.parse(n)
        assert method_name(m.embedder or "", m.normalize, m.selector) == n
    extra = grid_methods([], ["imagenet"], ["none"], extra=["pixels+umap+fps"])
    assert extra == ["random", "pixels+umap+fps"]


@pytest.mark.parametrize(
    "args",
    [
        (["nope"], ["pixels"], ["none"]),
        (["fps"], ["clip"], ["none"]),
        (["fps"], ["pixels"], ["tsne"]),
    ],
)
def test_unknown_axis_values_are_input_errors(args) -> None:
    with pytest.raises(InputError):
        grid_methods(*args)


def test_budgets_are_labels_per_class() -> None:
    assert budgets([1, 2, 5, 10], 10) == [10, 20, 50, 100]
    assert budgets([5, 1, 5], 3) == [3, 15]
    with pytest.raises(InputError):
        budgets([0], 10)


def test_parse_accepts_every_registered_selector() -> None:
    for sel in registered_selectors():
        m = Method.parse(f"imagenet+pca+{sel}")
        assert (m.embedder, m.normalize, m.selector) == ("imagenet", "pca", sel)
    with pytest.raises(InputError):
        Method.parse("imagenet+none+fps")  # "none" is spelled by leaving the part out
