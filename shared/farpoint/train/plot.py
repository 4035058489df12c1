"""The loss curve written beside a model (``model.pt`` -> ``model.loss.png``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def loss_plot_path(out: str | Path) -> str:
    """``model.pt`` -> ``model.loss.png`` (beside the model)."""
    text = str(out)
    stem = text[: -len(Path(text).suffix)] if Path(text).suffix else text
    return stem + ".loss.png"


def save_loss_plot(losses: Sequence[float], path: str | Path, title: str) -> None:
    """Loss per step and its moving average, as a PNG (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    y = np.asarray(losses, dtype=np.float64)
    if len(y):
        ax.plot(np.arange(1, len(y) + 1), y, lw=0.6, alpha=0.4, label="step")
        k = max(1, len(y) // 50)
        if k > 1:
            ma = np.convolve(y, np.ones(k) / k, mode="valid")
            ax.plot(np.arange(k, len(y) + 1), ma, lw=1.5, label=f"mean of {k}")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
