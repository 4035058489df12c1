"""The autoencoder (paper §3.2.2): shapes, 5 transposed convolutions, training sizes, and a
short real training run whose reconstruction loss falls."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from farpoint.models.autoencoder import Autoencoder
from farpoint.train.autoencoder import AutoencoderConfig, AutoencoderMethod, training_size
from tests.data import fashion_mnist

torch.set_num_threads(1)


@pytest.mark.parametrize("h,w", [(32, 32), (64, 96), (80, 96)])
def test_shapes_and_decoder_layers(h: int, w: int) -> None:
    ae = Autoencoder(h, w, bottleneck=8).eval()
    x = torch.rand(2, 3, h, w)
    with torch.no_grad():
        recon, code = ae(x)
    assert code.shape == (2, 8) and recon.shape == x.shape
    assert 0 <= float(recon.min()) and float(recon.max()) <= 1
    tconvs = [m for m in ae.decoder.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert len(tconvs) == 5


def test_training_size_rule() -> None:
    assert training_size(28, 28) == (32, 32)
    assert training_size(56, 100) == (64, 96)
    assert training_size(75, 100) == (80, 96)
    with pytest.raises(ValueError):
        Autoencoder(30, 32)


def test_reconstruction_loss_falls_on_fashion_mnist() -> None:
    from farpoint.train.dataset import FrameSet

    images, _ = fashion_mnist(512)
    torch.manual_seed(0)
    m = AutoencoderMethod(FrameSet.from_arrays(images), AutoencoderConfig(), batch_size=32,
                          seed=0, device=torch.device("cpu"))
    assert m.input_spec["height"] == 32 and m.arch()["embed_dim"] == 8
    opt = torch.optim.Adam(m.model.parameters(), lr=1e-3)
    losses = []
    for _ in range(16):
        loss = m.loss(m.next_batch())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-4:]) < 0.7 * np.mean(losses[:4]), losses
