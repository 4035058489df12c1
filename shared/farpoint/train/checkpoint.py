"""The model file written by ``farpoint train`` and read by the ``swav``/``autoencoder`` embedders.

Format ``farpoint.model/1``: **one file**, written with ``torch.save`` of a plain dict whose
contents load with ``torch.load(..., weights_only=True)`` (tensors, str, int, float, bool, None,
lists, dicts — no pickled classes, so loading a model runs no code)::

    {
      "format": "farpoint.model/1",
      "method": "swav" | "autoencoder",
      "arch": {...},    # swav: backbone "resnet18" (stem "cifar"|"imagenet", base_width,
                        #   embed_dim 8*base_width) or "efficientnet-lite0" (finetune_blocks,
                        #   pretrained "imagenet-1k", embed_dim 1280); proj_hidden, proj_dim,
                        #   n_prototypes
                        # autoencoder: backbone "conv-ae", bottleneck, embed_dim (=bottleneck)
      "input": {"height": H, "width": W, "fit": "letterbox",
                "mean": [r, g, b], "std": [r, g, b]},   # see farpoint.models.preprocess
      "encoder": {name: tensor},   # the state dict of the embedding network only
      "meta": {"epochs", "steps", "images_seen", "seed", "batch_size", "device", "data",
               "started", "finished", "train_seconds", "loss_history", "farpoint_version"},
      "content_hash": "sha256:<hex>",  # over "encoder" (see content_hash)
      "train_state": {...} | None,  # for --resume: encoder_prefix, model_rest (the rest of
                                    # the model: head, prototypes / decoder), optimizer, step
    }

The content hash identifies the embedding function: two files with the same encoder weights have
the same hash whatever their metadata, and a file whose weights were altered fails to load.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from farpoint.errors import InputError
from farpoint.train.methods import METHODS

FORMAT = "farpoint.model/1"


@dataclass(frozen=True)
class ModelSpec:
    """Everything about a checkpoint except its tensors."""

    method: str
    arch: dict[str, Any]
    input: dict[str, Any]
    meta: dict[str, Any]
    content_hash: str
    path: str = ""
    train_state: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def embed_dim(self) -> int:
        return int(self.arch["embed_dim"])


def content_hash(state_dict: dict[str, torch.Tensor]) -> str:
    """sha256 over the tensors in key order: name, dtype, shape and raw bytes of each."""
    h = hashlib.sha256()
    for key in sorted(state_dict):
        t = state_dict[key].detach().to("cpu").contiguous()
        h.update(key.encode())
        h.update(b"\0" + str(t.dtype).encode() + b"\0" + repr(tuple(t.shape)).encode() + b"\0")
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return "sha256:" + h.hexdigest()


def build_encoder(method: str, arch: dict[str, Any], input_spec: dict[str, Any]) -> nn.Module:
    """The embedding network described by ``arch`` (untrained)."""
    if method == "swav":
        from farpoint.models.backbones import build_backbone

        try:
            return build_backbone(arch, pretrained=False)
        except (ValueError, KeyError) as exc:
            raise InputError(f"model file has an unusable SwAV arch: {exc}") from None
    if method == "autoencoder":
        from farpoint.models.autoencoder import ConvEncoder

        return ConvEncoder(int(input_spec["height"]), int(input_spec["width"]),
                           int(arch["bottleneck"]))
    raise InputError(f"unknown training method {method!r}; choose one of {', '.join(METHODS)}")


def cpu_state(module_or_state: nn.Module | dict[str, Any]) -> dict[str, Any]:
    """A detached CPU copy of a state dict (nested dicts, e.g. optimizer state, included)."""
    state = module_or_state.state_dict() if isinstance(module_or_state, nn.Module) else (
        module_or_state)
    return _to_cpu(state)


def _to_cpu(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu").clone()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_cpu(v) for v in obj]
    return obj


def save_checkpoint(
    path: str | Path,
    *,
    method: str,
    arch: dict[str, Any],
    input_spec: dict[str, Any],
    encoder: nn.Module | dict[str, torch.Tensor],
    meta: dict[str, Any],
    train_state: dict[str, Any] | None = None,
) -> str:
    """Write a ``farpoint.model/1`` file atomically; return its content hash."""
    if method not in METHODS:
        raise InputError(f"unknown training method {method!r}; choose one of {', '.join(METHODS)}")
    state = cpu_state(encoder)
    digest = content_hash(state)
    blob = {
        "format": FORMAT,
        "method": method,
        "arch": dict(arch),
        "input": dict(input_spec),
        "encoder": state,
        "meta": dict(meta),
        "content_hash": digest,
        "train_state": None if train_state is None else _to_cpu(train_state),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".tmp-{os.getpid()}-{path.name}"
    try:
        torch.save(blob, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def read_checkpoint(path_or_uri: str | Path) -> dict[str, Any]:
    """Load and validate the raw dict. Missing file: NotFoundError; anything else wrong:
    InputError with a one-line reason."""
    from farpoint.store.uri import fetch_to_local

    path = fetch_to_local(path_or_uri)
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a farpoint model file")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for garbage/truncated files
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
        raise InputError(
            f"{path} is not a readable farpoint model file ({type(exc).__name__}: {reason})"
        ) from None
    if not isinstance(blob, dict) or "format" not in blob:
        raise InputError(f"{path} is not a farpoint model file (no {FORMAT!r} header); "
                         "train one with `farpoint train`")
    if blob["format"] != FORMAT:
        raise InputError(f"{path} has model format {blob['format']!r}; "
                         f"this farpoint reads {FORMAT!r}")
    missing = {"method", "arch", "input", "encoder", "meta", "content_hash"} - set(blob)
    if missing:
        raise InputError(f"{path} is a damaged farpoint model file (missing {sorted(missing)})")
    if blob["method"] not in METHODS:
        raise InputError(f"{path} has unknown method {blob['method']!r}")
    if content_hash(blob["encoder"]) != blob["content_hash"]:
        raise InputError(f"{path} is corrupt: its weights do not match its content hash")
    return blob  # type: ignore[no-any-return]


def load_checkpoint(
    path_or_uri: str | Path, device: str | torch.device = "cpu"
) -> tuple[nn.Module, ModelSpec]:
    """Build the embedding network from a model file: ``(encoder in eval mode, spec)``."""
    blob = read_checkpoint(path_or_uri)
    encoder = build_encoder(blob["method"], blob["arch"], blob["input"])
    try:
        encoder.load_state_dict(blob["encoder"], strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0][:160]
        raise InputError(f"{path_or_uri}: weights do not fit the recorded architecture ({first})"
                         ) from None
    encoder.to(device).eval()
    spec = ModelSpec(
        method=blob["method"],
        arch=blob["arch"],
        input=blob["input"],
        meta=blob["meta"],
        content_hash=blob["content_hash"],
        path=str(path_or_uri),
        train_state=blob.get("train_state"),
    )
    return encoder, spec


def run_meta(run: Any, final: bool) -> dict[str, Any]:
    """The ``meta`` of a :class:`~farpoint.train.build.TrainRun` (JSON-safe)."""
    import json

    from farpoint import __version__
    from farpoint.train.build import now_utc

    spe = run.method.steps_per_epoch()
    meta = {
        "epochs": round(run.step / spe, 4),
        "steps": run.step,
        "steps_per_epoch": spe,
        "images_seen": run.images_seen,
        "seed": run.seed,
        "batch_size": run.method.batch_size,
        "lr": run.cfg.lr,
        "device": run.device.type,
        "amp": run.amp,
        "method_config": run.cfg.as_dict(),
        "views": run.method.views_info,
        "data": run.frames.describe(),
        "started": run.started,
        "finished": now_utc() if final else None,
        "train_seconds": round(run.train_seconds, 3),
        "loss_history": [round(v, 6) for v in run.losses],
        "farpoint_version": __version__,
        "torch_version": torch.__version__,
    }
    return json.loads(json.dumps(meta, default=str))  # type: ignore[no-any-return]


def save_run(run: Any, path: str | Path, final: bool) -> str:
    """Write ``run`` (a :class:`~farpoint.train.build.TrainRun`) as a model file that the
    embedders load and ``--resume`` continues; return its content hash."""
    m = run.method
    prefix = run.encoder_prefix
    return save_checkpoint(
        path, method=run.method_name, arch=m.arch(), input_spec=m.input_spec, encoder=m.encoder,
        meta=run_meta(run, final),
        train_state={"encoder_prefix": prefix, "optimizer": run.optimizer.state_dict(),
                     "step": run.step,
                     "model_rest": {k: v for k, v in m.model.state_dict().items()
                                    if not k.startswith(prefix)}},
    )
