"""The evaluation grid: selection method x embedder x normalization, and budgets per class.

A grid *method* is ``EMBEDDER[+NORM]+SELECTOR`` (``imagenet+pca+facility``) or ``random``; the
selectors are the registered methods of :data:`farpoint.selection.registry.METHODS` (one home for
the names), so a method added to the registry joins the grid without touching the eval. Budgets
are given per class, as in the low-budget papers: ``k = labels_per_class x classes``.

``uniform`` (evenly spaced in time) is a video baseline: the image pools have no time axis, and
their row order can follow the labels (opencv digits are stored class by class), so evenly spaced
rows would read the labels. It is left out of the image grid and used on video only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from farpoint.errors import InputError

EMBEDDERS = ("pixels", "imagenet", "autoencoder", "swav")
NORMALIZATIONS = ("none", "pca", "umap")
BUDGETS_PER_CLASS = (1, 2, 5, 10)
VIDEO_ONLY = frozenset({"uniform"})
BASELINE = "random"


def registered_selectors() -> tuple[str, ...]:
    """Registered selection methods usable on images (everything but the baseline and
    video-only ones), in registry order."""
    from farpoint.selection.registry import METHODS

    return tuple(m for m in METHODS if m != BASELINE and m not in VIDEO_ONLY)


def method_name(embedder: str, normalize: str, selector: str) -> str:
    return f"{embedder}+{selector}" if normalize == "none" else f"{embedder}+{normalize}+{selector}"


def grid_methods(
    selectors: Sequence[str] | None = None,
    embedders: Sequence[str] = ("pixels", "imagenet"),
    normalizations: Sequence[str] = NORMALIZATIONS,
    extra: Iterable[str] = (),
) -> list[str]:
    """``random`` first, then every selector x embedder x normalization, then ``extra`` names
    (explicit ``EMB[+NORM]+SEL`` strings); duplicates dropped, order kept."""
    from farpoint.selection.registry import METHODS

    sels = list(registered_selectors() if selectors is None else selectors)
    for s in sels:
        if s not in METHODS:
            raise InputError(f"unknown selection method {s!r}; choose from {', '.join(METHODS)}")
    for e in embedders:
        if e not in EMBEDDERS:
            raise InputError(f"unknown embedder {e!r}; choose from {', '.join(EMBEDDERS)}")
    for n in normalizations:
        if n not in NORMALIZATIONS:
            raise InputError(
                f"unknown normalization {n!r}; choose from {', '.join(NORMALIZATIONS)}"
            )
    names = [BASELINE]
    for e in embedders:
        for n in normalizations:
            names += [method_name(e, n, s) for s in sels if s != BASELINE]
    names += list(extra)
    return list(dict.fromkeys(names))


def budgets(per_class: Sequence[int], n_classes: int) -> list[int]:
    """``k`` for each labels-per-class budget (sorted, distinct); each must be >= 1."""
    out = []
    for b in per_class:
        if int(b) < 1:
            raise InputError(f"labels per class must be >= 1; got {b}")
        out.append(int(b) * n_classes)
    return sorted(set(out))


def parse_ints(items: Sequence[str], flag: str) -> list[int]:
    try:
        return [int(x) for x in items]
    except ValueError:
        raise InputError(f"{flag}: {', '.join(items)} are not all whole numbers") from None
