"""The significance tests run on paired runs; class balance is measured right."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from farpoint.errors import InputError
from farpoint.eval.stats import class_balance, paired_compare


def test_paired_compare_uses_the_pairing() -> None:
    rng = np.random.default_rng(0)
    base = 0.75 + rng.normal(0, 0.03, size=30)  # large between-iteration noise
    method = base + 0.004 + rng.normal(0, 0.001, size=30)  # small, consistent gain
    cmp = paired_compare(method, base)
    assert cmp.n == 30 and cmp.wins >= 28
    assert cmp.diff_mean == pytest.approx(np.mean(method - base))
    assert cmp.t_pvalue == pytest.approx(stats.ttest_rel(method, base).pvalue)
    assert cmp.t_pvalue < 1e-6 and cmp.wilcoxon_pvalue < 1e-4
    # an unpaired test cannot see this gain through the noise: proof the pairing is used
    assert stats.ttest_ind(method, base).pvalue > 0.3
    # shuffling the pairing destroys the significance
    shuffled = paired_compare(method, base[rng.permutation(30)])
    assert shuffled.t_pvalue > 0.05


def test_paired_compare_identical_runs_and_bad_shapes() -> None:
    a = np.array([0.5, 0.6, 0.7])
    same = paired_compare(a, a)
    assert same.diff_mean == 0 and same.t_pvalue == 1.0 and same.wilcoxon_pvalue == 1.0
    with pytest.raises(InputError):
        paired_compare(a, a[:2])


def test_class_balance() -> None:
    assert class_balance(np.repeat(np.arange(4), 5), 4) == {
        "entropy": pytest.approx(1.0), "min_share": pytest.approx(1.0), "missing": 0.0
    }
    skew = class_balance(np.array([0] * 9 + [1]), 4)
    assert skew["missing"] == 2.0 and skew["min_share"] == 0.0 and skew["entropy"] < 0.5
