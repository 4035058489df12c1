"""The training-method interface and the one registry of methods ``farpoint train`` knows.

A method adapts frames to one self-supervised objective: it builds its model, draws batches
(views) from a :class:`~farpoint.train.dataset.FrameSet`, computes the loss, and says which part
of the model is the embedder (``encoder``) and how to rebuild it (``arch``, ``input_spec``, which
the model file records). The loop (:mod:`farpoint.train.loop`) knows nothing else about it.

* ``swav``        SwAV on temporal / augmented views (Caron et al. 2020; seed paper §2.5, §3.4);
* ``autoencoder`` L2 reconstruction through an 8-d bottleneck (seed paper §2.4, §3.2.2).

Adding a method: a class with the attributes and methods of :class:`Method`, a config dataclass
(``config_class``, with ``lr``, ``weight_decay``, ``as_dict``), an entry in :data:`METHODS`, an
embedder in :data:`farpoint.embed.base.REGISTRY`, and a branch in
:func:`farpoint.train.checkpoint.build_encoder` if its encoder is new.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, runtime_checkable

from farpoint.errors import InputError

# name -> "module:Class"; imported lazily (importing this module does not import torch).
METHODS: dict[str, str] = {
    "swav": "farpoint.train.swav:SwavMethod",
    "autoencoder": "farpoint.train.autoencoder:AutoencoderMethod",
}
DEFAULT_METHOD = "swav"


@runtime_checkable
class Method(Protocol):
    """What the training loop needs from a method (an instance is built per run)."""

    name: str
    batch_size: int  # the effective batch (may be lower than asked on tiny datasets)
    input_spec: dict[str, Any]  # network input: height, width, fit, mean, std
    views_info: dict[str, Any]  # how batches are drawn, for the model's metadata
    model: Any  # the torch module trained (encoder + heads / decoder)

    @property
    def encoder(self) -> Any:
        """The sub-module of ``model`` that embeds frames (stored in the model file)."""

    def arch(self) -> dict[str, Any]: ...

    def param_groups(self, lr: float) -> list[dict[str, Any]]:
        """Trainable parameters (optimizer groups) at base learning rate ``lr``."""

    def steps_per_epoch(self) -> int: ...

    def next_batch(self) -> list[Any]: ...

    def loss(self, batch: list[Any]) -> Any: ...

    def before_step(self) -> None: ...

    def after_backward(self, step: int) -> None: ...


def check_method(name: str) -> str:
    """``name`` if it is a registered method, else a one-line InputError."""
    if name not in METHODS:
        raise InputError(f"unknown training method {name!r}; choose one of {', '.join(METHODS)}")
    return name


def method_class(name: str) -> Any:
    """The class registered under ``name`` (imports torch)."""
    module_name, cls_name = METHODS[check_method(name)].split(":")
    return getattr(importlib.import_module(module_name), cls_name)
