"""Tests of the PatchGAN heatmap discriminator (Robinson et al., ICCV 2019, Sec. 4)."""
import pytest
import torch
from torch import nn

from mmlaplace.models.discriminators import GaussianNoise, HeatmapPatchDiscriminator
from mmlaplace.models.utils import normalize_heatmaps

pytestmark = pytest.mark.usefixtures('one_thread')


def uniform_maps(b: int, k: int, h: int, w: int) -> torch.Tensor:
    return torch.full((b, k, h, w), 1.0 / (h * w))


def test_architecture_follows_the_paper():
    disc = HeatmapPatchDiscriminator(in_channels=68 + 3)
    convs = [m for m in disc.layers if isinstance(m, nn.Conv2d)]
    noises = [m for m in disc.layers if isinstance(m, GaussianNoise)]
    norms = [m for m in disc.layers if isinstance(m, nn.BatchNorm2d)]
    acts = [m for m in disc.layers if isinstance(m, nn.LeakyReLU)]
    assert [c.in_channels for c in convs] == [71, 64, 128, 256]
    assert [c.out_channels for c in convs] == [64, 128, 256, 1]
    assert [c.stride for c in convs] == [(2, 2), (2, 2), (2, 2), (1, 1)]
    assert all(c.kernel_size == (4, 4) for c in convs)
    assert len(noises) == 4 and all(n.std == 0.2 for n in noises)
    assert len(norms) == 2  # all but the first and the last layer
    assert len(acts) == 3 and all(a.negative_slope == 0.2 for a in acts)
    # noise comes right before every conv
    layers = list(disc.layers)
    assert all(isinstance(layers[layers.index(c) - 1], GaussianNoise) for c in convs)


@pytest.mark.parametrize('size,out', [((80, 80), (9, 9)), ((64, 64), (7, 7))])
def test_output_shapes(size, out):
    disc = HeatmapPatchDiscriminator(in_channels=5 + 3, base_channels=8)
    heatmaps = normalize_heatmaps(torch.randn(2, 5, *size))
    logits = disc(heatmaps, torch.randn(2, 3, 4 * size[0], 4 * size[1]))  # image resized
    assert logits.shape == (2, 1, *out)
    assert HeatmapPatchDiscriminator.output_size(size) == out


def test_every_parameter_gets_a_gradient():
    disc = HeatmapPatchDiscriminator(in_channels=4 + 3, base_channels=8)
    disc.init_weights()
    heatmaps = normalize_heatmaps(torch.randn(2, 4, 32, 32))
    disc(heatmaps, torch.randn(2, 3, 32, 32)).mean().backward()
    for name, p in disc.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_noise_only_in_training_mode():
    disc = HeatmapPatchDiscriminator(in_channels=4 + 3, base_channels=8)
    heatmaps, images = uniform_maps(2, 4, 32, 32), torch.randn(2, 3, 32, 32)
    disc.eval()
    assert torch.equal(disc(heatmaps, images), disc(heatmaps, images))
    disc.train()
    torch.manual_seed(0)
    a = disc(heatmaps, images)
    torch.manual_seed(1)
    assert not torch.allclose(a, disc(heatmaps, images))


def test_outputs_finite_for_extreme_inputs():
    one_hot = torch.zeros(1, 3, 32, 32)
    one_hot[:, :, 5, 7] = 1.0
    maps = [one_hot, uniform_maps(1, 3, 32, 32), torch.zeros(1, 3, 32, 32)]
    images = [torch.full((1, 3, 32, 32), v) for v in (1e3, -1e3, 0.0)]
    # every (heatmaps, image) combination in one batch
    heatmaps = torch.cat([m for m in maps for _ in images])
    image_batch = torch.cat([i for _ in maps for i in images])
    for scale in ('numel', 'max', 10.0, None):
        disc = HeatmapPatchDiscriminator(in_channels=3 + 3, base_channels=8,
                                         heatmap_scale=scale)
        disc.init_weights()
        for train in (True, False):
            disc.train(train)
            assert torch.isfinite(disc(heatmaps, image_batch)).all(), (scale, train)


def test_heatmap_scale_modes():
    maps = normalize_heatmaps(torch.randn(2, 3, 10, 20))
    numel = HeatmapPatchDiscriminator(6, heatmap_scale='numel').scale_heatmaps(maps)
    assert torch.allclose(numel.mean(dim=(-2, -1)), torch.ones(2, 3))
    peak = HeatmapPatchDiscriminator(6, heatmap_scale='max').scale_heatmaps(maps)
    assert torch.allclose(peak.flatten(-2).amax(-1), torch.ones(2, 3))
    assert torch.equal(HeatmapPatchDiscriminator(6, heatmap_scale=None).scale_heatmaps(maps),
                       maps)


def test_rejects_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match='heatmap_scale'):
        HeatmapPatchDiscriminator(8, heatmap_scale='sum')
    with pytest.raises(ValueError, match='num_layers'):
        HeatmapPatchDiscriminator(8, num_layers=1)
    disc = HeatmapPatchDiscriminator(in_channels=5 + 3, base_channels=8)
    with pytest.raises(ValueError, match='in_channels=8'):
        disc(uniform_maps(1, 4, 16, 16), torch.zeros(1, 3, 16, 16))


def test_spectral_norm_bounds_every_conv_and_drops_batchnorm():
    disc = HeatmapPatchDiscriminator(in_channels=4 + 3, base_channels=8, spectral_norm=True)
    disc.init_weights()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in disc.layers)
    convs = [m for m in disc.layers if isinstance(m, nn.Conv2d)]
    heatmaps = normalize_heatmaps(torch.randn(2, 4, 32, 32))
    disc.train()
    for _ in range(20):  # the power iteration converges in training mode
        disc(heatmaps, torch.randn(2, 3, 32, 32))
    disc.eval()
    for conv in convs:
        sigma = torch.linalg.matrix_norm(conv.weight.flatten(1), ord=2)
        assert float(sigma) == pytest.approx(1.0, rel=0.05)
    disc(heatmaps, torch.randn(2, 3, 32, 32)).mean().backward()
    for name, p in disc.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_noise_std_is_settable_on_every_layer():
    disc = HeatmapPatchDiscriminator(in_channels=4 + 3, base_channels=8, noise_std=0.2)
    assert disc.noise_std == pytest.approx(0.2)
    disc.noise_std = 0.05
    assert all(m.std == 0.05 for m in disc.layers if isinstance(m, GaussianNoise))
    with pytest.raises(ValueError, match='noise_std'):
        disc.noise_std = -1.0
