"""ELT: the similarity warps of images and points agree, and the equivariance loss."""
import pytest
import torch

from mmlaplace.models.losses import EquivarianceLoss, equivariance_loss
from mmlaplace.models.utils import (
    affine_scale,
    invert_affine,
    sample_similarity,
    transform_points,
    warp_images,
)


def _blobs(points, size=(48, 40), sigma=2.0):
    """Images (B, 1, H, W) with one Gaussian blob per sample at ``points`` (B, 2) pixels."""
    w, h = size
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64),
                            torch.arange(w, dtype=torch.float64), indexing='ij')
    d2 = (xs - points[:, 0, None, None]) ** 2 + (ys - points[:, 1, None, None]) ** 2
    return torch.exp(-d2 / (2 * sigma ** 2))[:, None]


def _centroids(images):
    """An equivariant toy landmark model: the intensity centroid, (B, 1, 2) pixels."""
    b, _, h, w = images.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=images.dtype),
                            torch.arange(w, dtype=images.dtype), indexing='ij')
    m = images[:, 0] / images[:, 0].sum((-1, -2), keepdim=True)
    return torch.stack([(m * xs).sum((-1, -2)), (m * ys).sum((-1, -2))], -1)[:, None]


def test_identity_warp_keeps_the_image():
    images = torch.rand(2, 3, 10, 12)
    eye = sample_similarity(2, (12, 10), rotate=0, scale=(1, 1), shift=0)
    torch.testing.assert_close(warp_images(images, eye), images)


def test_image_and_point_warps_agree_and_the_toy_model_is_equivariant():
    gen = torch.Generator().manual_seed(0)
    points = torch.tensor([[20.0, 18.0], [27.5, 22.25], [24.0, 19.5]], dtype=torch.float64)
    matrices = sample_similarity(3, (48, 40), rotate=30, scale=(0.8, 1.2), shift=0.1,
                                 generator=gen).double()
    images = _blobs(points)
    warped = warp_images(images, matrices)
    moved = transform_points(points[:, None], matrices)
    # the blob's centre moves where the points go (bilinear resampling: well below 0.05 px)
    torch.testing.assert_close(_centroids(warped), moved, atol=0.05, rtol=0)
    loss = equivariance_loss(_centroids(images), _centroids(warped), matrices)
    assert float(loss) < 0.05
    # a model that is not equivariant (it ignores the image) pays the displacement
    fixed = _centroids(images)
    assert float(equivariance_loss(fixed, fixed, matrices)) > 1.0


def test_inverse_restores_the_coordinates():
    matrices = sample_similarity(4, (80, 80), generator=torch.Generator().manual_seed(1))
    points = torch.rand(4, 68, 2) * 80
    back = transform_points(transform_points(points, matrices), invert_affine(matrices))
    torch.testing.assert_close(back, points, atol=1e-4, rtol=0)
    torch.testing.assert_close(affine_scale(invert_affine(matrices)) * affine_scale(matrices),
                               torch.ones(4))


def test_rotation_is_about_the_pixel_centre():
    # 180 degrees about ((W - 1) / 2, (H - 1) / 2) maps pixel j to W - 1 - j, as a flip of both axes
    matrices = torch.tensor([[[-1.0, 0.0, 5.0], [0.0, -1.0, 3.0]]])
    images = torch.rand(1, 1, 4, 6)
    torch.testing.assert_close(warp_images(images, matrices), images.flip(-1, -2))


def test_closed_forms():
    eye = torch.eye(2, 3)[None]
    mu = torch.zeros(1, 1, 2)
    assert float(equivariance_loss(mu, mu + torch.tensor([3.0, 4.0]), eye)) == \
        pytest.approx(5.0, abs=1e-5)
    b = torch.full((1, 1, 2), 2.0)
    assert float(equivariance_loss(mu, mu, eye, kind='laplace_kl', scales=b, scales_t=b)) == \
        pytest.approx(0.0, abs=1e-6)
    # scale 2 transform: the source scale doubles, so b' = 2 b is a perfect match
    double = torch.tensor([[[2.0, 0, 0], [0, 2.0, 0]]])
    assert float(equivariance_loss(mu, mu, double, kind='laplace_kl', scales=b / 2,
                                   scales_t=b)) == pytest.approx(0.0, abs=1e-6)
    # the same offset pulls less where the warped prediction is uncertain
    off = mu + 1.0
    sure = equivariance_loss(mu, off, eye, kind='laplace_kl', scales=b, scales_t=b)
    wide = equivariance_loss(mu, off, eye, kind='laplace_kl', scales=b, scales_t=4 * b)
    assert float(sure) > 0
    p1 = off.clone().requires_grad_(True)
    p2 = off.clone().requires_grad_(True)
    g1, = torch.autograd.grad(equivariance_loss(mu, p1, eye, None, 'laplace_kl',
                                                b, b), p1)
    g2, = torch.autograd.grad(equivariance_loss(mu, p2, eye, None, 'laplace_kl', b, 4 * b), p2)
    assert g2.abs().sum() < g1.abs().sum() and float(wide) != float(sure)


def test_weights_and_reduction():
    eye = torch.eye(2, 3).expand(2, 2, 3)
    mu = torch.zeros(2, 3, 2)
    shifted = mu.clone()
    shifted[0, 0] = torch.tensor([3.0, 4.0])
    per = equivariance_loss(mu, shifted, eye, reduction='none')
    assert per.shape == (2, 3) and float(per[0, 0]) == pytest.approx(5.0, abs=1e-5)
    w = torch.ones(2, 3)
    w[0, 0] = 0
    assert float(equivariance_loss(mu, shifted, eye, weights=w)) == pytest.approx(0, abs=1e-5)
    assert float(EquivarianceLoss(loss_weight=2.0)(mu, shifted, eye)) == \
        pytest.approx(2 * 5.0 / 6, abs=1e-5)


@pytest.mark.parametrize('kind', ['distance', 'laplace_kl'])
def test_gradcheck_float64(kind):
    gen = torch.Generator().manual_seed(3)
    A = sample_similarity(2, (16, 16), generator=gen).double()
    mu = (torch.rand(2, 3, 2, generator=gen, dtype=torch.float64) * 16).requires_grad_(True)
    mu_t = (torch.rand(2, 3, 2, generator=gen, dtype=torch.float64) * 16).requires_grad_(True)
    b = (torch.rand(2, 3, 2, generator=gen, dtype=torch.float64) + 0.5).requires_grad_(True)
    b_t = (torch.rand(2, 3, 2, generator=gen, dtype=torch.float64) + 0.5).requires_grad_(True)
    if kind == 'distance':
        assert torch.autograd.gradcheck(lambda p, q: equivariance_loss(p, q, A), (mu, mu_t))
    else:
        assert torch.autograd.gradcheck(
            lambda p, q, s, t: equivariance_loss(p, q, A, kind=kind, scales=s, scales_t=t),
            (mu, mu_t, b, b_t))


def test_bad_input_is_named():
    eye = torch.eye(2, 3)[None]
    mu = torch.zeros(1, 4, 2)
    with pytest.raises(ValueError, match='kind must be one of'):
        equivariance_loss(mu, mu, eye, kind='l7')
    with pytest.raises(ValueError, match=r'\(B, K, 2\)'):
        equivariance_loss(mu, torch.zeros(1, 5, 2), eye)
    with pytest.raises(ValueError, match=r'\(B, 2, 3\)'):
        equivariance_loss(mu, mu, torch.eye(3)[None])
    bad = mu.clone()
    bad[0, 2, 1] = float('nan')
    with pytest.raises(ValueError, match=r'points_t has NaN / Inf values \(landmarks \[2\]\)'):
        equivariance_loss(mu, bad, eye)
    with pytest.raises(ValueError, match='needs scales'):
        equivariance_loss(mu, mu, eye, kind='laplace_kl')
    with pytest.raises(ValueError, match='scale must be'):
        sample_similarity(2, (8, 8), scale=(1.2, 0.9))
    with pytest.raises(ValueError, match='loss_weight'):
        EquivarianceLoss(loss_weight=-1)
    with pytest.raises(ValueError, match='images must have shape'):
        warp_images(torch.zeros(2, 3, 8, 8), eye)
