"""SwAV pieces: Sinkhorn-Knopp marginals, swapped-prediction loss, short training on real
Fashion-MNIST (loss goes down; two views of one image end closer than two different images)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from farpoint.models.swav import SwavConfig, SwavModel, sinkhorn, swapped_prediction_loss
from tests.data import fashion_mnist

torch.set_num_threads(1)

TINY = dict(backbone="resnet18", base_width=8, proj_hidden=64, proj_dim=32, n_prototypes=20)


@pytest.mark.parametrize("b,k", [(64, 20), (32, 300), (8, 8)])
def test_sinkhorn_marginals(b: int, k: int) -> None:
    torch.manual_seed(0)
    z = torch.nn.functional.normalize(torch.randn(b, 16), dim=1)
    c = torch.nn.functional.normalize(torch.randn(k, 16), dim=1)
    q = sinkhorn(z @ c.t(), eps=0.05, iters=3)
    assert q.shape == (b, k)
    assert torch.all(q >= 0)
    # the last normalisation is over samples: each row is a distribution, exactly
    torch.testing.assert_close(q.sum(1), torch.ones(b), atol=1e-5, rtol=0)
    # prototypes are used ever more equally: each column sum tends to b / k
    def spread(x: torch.Tensor) -> float:
        return float((x.sum(0) / (b / k) - 1).abs().max())

    plain = torch.softmax(z @ c.t() / 0.05, dim=1)  # no equipartition at all
    q50 = sinkhorn(z @ c.t(), eps=0.05, iters=50)
    assert spread(q50) < 0.02 < spread(q) < spread(plain)
    torch.testing.assert_close(q50.sum(1), torch.ones(b), atol=1e-5, rtol=0)


def test_sinkhorn_is_stable_in_half_precision_inputs() -> None:
    scores = (torch.rand(16, 10) * 2 - 1).half()
    q = sinkhorn(scores)
    assert q.dtype == torch.float32 and torch.isfinite(q).all()


def test_swapped_loss_rewards_consistent_views() -> None:
    torch.manual_seed(0)
    b, k = 32, 8
    c = torch.nn.functional.normalize(torch.randn(k, 16), dim=1)
    z = torch.nn.functional.normalize(torch.randn(b, 16), dim=1)
    s1 = z @ c.t()
    same = swapped_prediction_loss([s1, s1.clone()])
    other = swapped_prediction_loss([s1, s1[torch.randperm(b)]])
    assert same < other


def _views_distance(model: SwavModel, x: torch.Tensor, gen: torch.Generator) -> tuple[float,
                                                                                        float]:
    from farpoint.models.preprocess import normalize
    from farpoint.train.swav import IMAGENET_MEAN, IMAGENET_STD
    from farpoint.train.views import augment, image_view_config

    cfg = image_view_config()
    model.eval()
    with torch.no_grad():
        a = model.backbone(normalize(augment(x, gen, cfg), IMAGENET_MEAN, IMAGENET_STD))
        b = model.backbone(normalize(augment(x, gen, cfg), IMAGENET_MEAN, IMAGENET_STD))
    a = torch.nn.functional.normalize(a, dim=1)
    b = torch.nn.functional.normalize(b, dim=1)
    same = (a - b).norm(dim=1).mean().item()
    perm = torch.roll(torch.arange(len(x)), 1)
    diff = (a - b[perm]).norm(dim=1).mean().item()
    return same, diff


def test_short_training_on_fashion_mnist() -> None:
    from farpoint.train.dataset import FrameSet
    from farpoint.train.swav import SwavMethod

    images, _ = fashion_mnist(512)
    frames = FrameSet.from_arrays(images)
    torch.manual_seed(0)
    method = SwavMethod(frames, SwavConfig(**TINY, freeze_prototypes_steps=3), batch_size=64,
                        seed=0, device=torch.device("cpu"))
    assert method.input_spec["height"] == 32 and method.model.stem == "cifar"
    assert method.views_info["kind"] == "image"
    opt = torch.optim.Adam(method.model.parameters(), lr=1e-3)
    losses = []
    proto0 = method.model.prototypes.layer.weight.detach().clone()
    for step in range(24):
        method.before_step()
        loss = method.loss(method.next_batch())
        opt.zero_grad()
        loss.backward()
        method.after_backward(step)
        opt.step()
        if step == 2:  # still frozen: the prototypes have not moved (beyond re-normalising)
            torch.testing.assert_close(method.model.prototypes.layer.weight, proto0)
        losses.append(loss.item())
    assert np.mean(losses[-6:]) < np.mean(losses[:6]) - 0.05, losses
    assert not torch.allclose(method.model.prototypes.layer.weight, proto0)  # unfrozen later
    x = torch.as_tensor(np.repeat(images[:128, None], 3, axis=1)).float() / 255
    x = torch.nn.functional.interpolate(x, size=(32, 32), mode="bilinear")
    same, diff = _views_distance(method.model, x, torch.Generator().manual_seed(1))
    assert same < diff, (same, diff)
