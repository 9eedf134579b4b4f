"""Tests of mmlaplace.models.utils.heatmap_stats: normalization, moments, target rendering."""
import math

import pytest
import torch
from torch.autograd import gradcheck

from mmlaplace.models.utils import heatmap_moments, normalize_heatmaps, render_target_heatmaps

KINDS = ('laplace', 'gaussian')
DISCRETIZATIONS = ('integrate', 'sample', None)


def brute_force_moments(heatmaps: torch.Tensor):
    """Moments from full 2-D sums, the definition without the marginal shortcut."""
    height, width = heatmaps.shape[-2:]
    ys, xs = torch.meshgrid(torch.arange(height, dtype=heatmaps.dtype),
                            torch.arange(width, dtype=heatmaps.dtype), indexing='ij')
    mu_x = (heatmaps * xs).sum(dim=(-2, -1))
    mu_y = (heatmaps * ys).sum(dim=(-2, -1))
    b_x = (heatmaps * (xs - mu_x[..., None, None]).abs()).sum(dim=(-2, -1))
    b_y = (heatmaps * (ys - mu_y[..., None, None]).abs()).sum(dim=(-2, -1))
    var_x = (heatmaps * (xs - mu_x[..., None, None])**2).sum(dim=(-2, -1))
    var_y = (heatmaps * (ys - mu_y[..., None, None])**2).sum(dim=(-2, -1))
    return (torch.stack([mu_x, mu_y], -1), torch.stack([b_x, b_y], -1),
            torch.stack([var_x, var_y], -1))


class TestNormalizeHeatmaps:

    def test_sums_to_one(self):
        heatmaps = normalize_heatmaps(torch.randn(2, 3, 5, 7) * 10)
        assert heatmaps.shape == (2, 3, 5, 7)
        assert torch.allclose(heatmaps.sum(dim=(-2, -1)), torch.ones(2, 3), atol=1e-6)
        assert (heatmaps >= 0).all()

    def test_equals_softmax_over_pixels(self):
        logits = torch.randn(2, 3, 4, 6)
        expected = logits.flatten(2).mul(2.0).softmax(-1).view_as(logits)
        assert torch.allclose(normalize_heatmaps(logits, beta=2.0), expected, atol=1e-6)

    def test_beta_zero_gives_uniform(self):
        heatmaps = normalize_heatmaps(torch.randn(1, 2, 4, 5), beta=0.0)
        assert torch.allclose(heatmaps, torch.full_like(heatmaps, 1 / 20))

    def test_extreme_logits_give_one_hot_without_nan(self):
        logits = torch.full((1, 2, 6, 6), -1e4)
        logits[0, 0, 2, 3] = 1e4
        logits[0, 1] = torch.randn(6, 6).sign() * 1e4
        logits.requires_grad_(True)
        heatmaps = normalize_heatmaps(logits)
        assert torch.isfinite(heatmaps).all()
        assert heatmaps[0, 0, 2, 3] == 1
        assert torch.allclose(heatmaps.sum(dim=(-2, -1)), torch.ones(1, 2))
        (heatmaps * torch.randn_like(heatmaps)).sum().backward()
        assert torch.isfinite(logits.grad).all()

    @pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
    def test_half_precision_under_autocast_computes_float32(self, dtype):
        logits = (torch.randn(1, 2, 5, 5) * 100).to(dtype)
        with torch.autocast(device_type='cpu', dtype=torch.bfloat16):
            heatmaps = normalize_heatmaps(logits)
        assert heatmaps.dtype == torch.float32
        assert torch.allclose(heatmaps.sum(dim=(-2, -1)), torch.ones(1, 2), atol=1e-6)

    def test_exception(self):
        with pytest.raises(ValueError, match='logits'):
            normalize_heatmaps(torch.randn(5))
        with pytest.raises(ValueError, match='beta'):
            normalize_heatmaps(torch.randn(1, 1, 2, 2), beta=math.inf)


class TestHeatmapMoments:

    def test_one_hot_gives_its_location_and_clamped_scales(self):
        height, width = 5, 7
        heatmaps = torch.zeros(2, 3, height, width)
        rows = torch.tensor([[0, 4, 2], [1, 3, 4]])
        cols = torch.tensor([[6, 0, 3], [2, 5, 1]])
        for n in range(2):
            for k in range(3):
                heatmaps[n, k, rows[n, k], cols[n, k]] = 1.0
        mu, b, var = heatmap_moments(heatmaps, eps=1e-6)
        assert torch.equal(mu, torch.stack([cols, rows], dim=-1).float())
        assert torch.allclose(b, torch.full_like(b, 1e-6))
        assert torch.allclose(var, torch.full_like(var, 1e-6))

    def test_x_is_column_y_is_row_on_non_square_map(self):
        heatmaps = torch.zeros(1, 1, 4, 9)  # H = 4 rows, W = 9 columns
        heatmaps[0, 0, 1, 7] = 0.5
        heatmaps[0, 0, 3, 7] = 0.5
        mu, b, var = heatmap_moments(heatmaps)
        assert mu.tolist() == [[[7.0, 2.0]]]
        assert torch.allclose(b, torch.tensor([[[1e-6, 1.0]]]))
        assert torch.allclose(var, torch.tensor([[[1e-6, 1.0]]]))

    def test_equals_brute_force_2d_sums(self):
        heatmaps = normalize_heatmaps(torch.randn(2, 3, 6, 9, dtype=torch.float64))
        for got, expected in zip(heatmap_moments(heatmaps), brute_force_moments(heatmaps)):
            assert got.shape == (2, 3, 2)
            assert torch.allclose(got, expected)

    def test_uniform_map(self):
        mu, b, var = heatmap_moments(torch.full((1, 1, 3, 5), 1 / 15))
        assert torch.allclose(mu, torch.tensor([[[2.0, 1.0]]]))
        assert torch.allclose(b, torch.tensor([[[6 / 5, 2 / 3]]]))
        assert torch.allclose(var, torch.tensor([[[2.0, 2 / 3]]]))

    def test_half_input_gives_float32(self):
        heatmaps = normalize_heatmaps(torch.randn(1, 2, 4, 4)).half()
        with torch.autocast(device_type='cpu', dtype=torch.bfloat16):
            moments = heatmap_moments(heatmaps)
        assert all(m.dtype == torch.float32 for m in moments)

    def test_gradcheck(self):
        torch.manual_seed(0)
        logits = torch.randn(1, 2, 5, 6, dtype=torch.float64, requires_grad=True)
        assert gradcheck(lambda z: heatmap_moments(normalize_heatmaps(z)), (logits, ),
                         fast_mode=True)

    def test_exception(self):
        with pytest.raises(ValueError, match='heatmaps'):
            heatmap_moments(torch.ones(3))


class TestRenderTargetHeatmaps:

    @pytest.mark.parametrize('kind', KINDS)
    @pytest.mark.parametrize('discretization', DISCRETIZATIONS)
    def test_sums_to_one_with_shape_b_k_h_w(self, kind, discretization):
        coords = torch.rand(2, 3, 2) * 30 - 5  # some outside the 20 x 12 grid
        heatmaps = render_target_heatmaps(coords, (20, 12), 1.5, kind, discretization)
        assert heatmaps.shape == (2, 3, 12, 20)
        assert torch.allclose(heatmaps.sum(dim=(-2, -1)), torch.ones(2, 3), atol=1e-5)
        assert (heatmaps >= 0).all()

    @pytest.mark.parametrize('kind', KINDS)
    def test_x_is_column_y_is_row_on_non_square_map(self, kind):
        heatmaps = render_target_heatmaps(torch.tensor([[[7.0, 1.0]]]), (9, 4), 1.0, kind)
        assert heatmaps.shape == (1, 1, 4, 9)
        row, col = divmod(int(heatmaps[0, 0].argmax()), 9)
        assert (row, col) == (1, 7)
        mu, _, _ = heatmap_moments(heatmaps)
        assert abs(float(mu[0, 0, 0]) - 7.0) < 0.5 and abs(float(mu[0, 0, 1]) - 1.0) < 0.5

    def test_laplace_moments_at_integer_and_half_integer_centres(self):
        # Symmetric cases: the mean is exact. b of the cell-integrated Laplace(b0 = 1) is
        # 0.9595 at an integer centre and 1.0820 at a half-integer one (discretization).
        coords = torch.tensor([[[20.0, 40.0], [31.5, 25.5]]])
        heatmaps = render_target_heatmaps(coords, (64, 64), scale=1.0, kind='laplace')
        mu, b, _ = heatmap_moments(heatmaps)
        assert torch.allclose(mu, coords, atol=1e-3)
        assert torch.allclose(b[0, 0], torch.tensor([0.9595, 0.9595]), atol=1e-3)
        assert torch.allclose(b[0, 1], torch.tensor([1.0820, 1.0820]), atol=1e-3)
        assert (b[0, 0] - 1.0).abs().max() < 0.05

    def test_laplace_moments_at_sub_pixel_centres(self):
        offsets = torch.linspace(0, 1, 21)
        coords = torch.stack([30 + offsets, 33 - offsets], dim=-1)[None]  # (1, 21, 2)
        heatmaps = render_target_heatmaps(coords, (64, 64), scale=1.0, kind='laplace')
        mu, b, _ = heatmap_moments(heatmaps)
        assert (mu - coords).abs().max() < 0.01  # at most 0.008 off
        assert ((b > 0.95) & (b < 1.09)).all()
        # Point sampling at the pixel centres is more peaked (b down to 0.851).
        sampled = render_target_heatmaps(coords, (64, 64), 1.0, 'laplace', 'sample')
        _, b_sampled, _ = heatmap_moments(sampled)
        assert abs(float(b_sampled.min()) - 0.8509) < 1e-3

    @pytest.mark.parametrize('sigma', [1.0, 2.0])
    def test_gaussian_moments_match_sigma(self, sigma):
        offsets = torch.linspace(0, 1, 11)
        coords = torch.stack([30 + offsets, 33.3 - offsets], dim=-1)[None]
        heatmaps = render_target_heatmaps(coords, (64, 64), scale=sigma, kind='gaussian')
        mu, _, var = heatmap_moments(heatmaps)
        assert torch.allclose(mu, coords, atol=1e-3)
        assert torch.allclose(var, torch.full_like(var, sigma**2), rtol=1e-4)
        # Integrating over the pixel cells adds Sheppard's 1/12 to the variance.
        cells = render_target_heatmaps(coords, (64, 64), sigma, 'gaussian', 'integrate')
        _, _, var_cells = heatmap_moments(cells)
        assert torch.allclose(var_cells, torch.full_like(var, sigma**2 + 1 / 12), rtol=1e-3)

    @pytest.mark.parametrize('kind', KINDS)
    @pytest.mark.parametrize('discretization', DISCRETIZATIONS)
    def test_out_of_grid_coords_pile_up_at_nearest_border(self, kind, discretization):
        coords = torch.tensor([[[-1e4, 1e4], [1e30, -1e30], [math.inf, -math.inf],
                                [3.0, 50.0]]])
        heatmaps = render_target_heatmaps(coords, (6, 5), 1.0, kind, discretization)
        assert torch.isfinite(heatmaps).all()
        assert torch.allclose(heatmaps.sum(dim=(-2, -1)), torch.ones(1, 4), atol=1e-5)
        argmax = [divmod(int(i), 6) for i in heatmaps[0].flatten(1).argmax(dim=-1)]
        assert argmax == [(4, 0), (0, 5), (0, 5), (4, 3)]  # (row, column)

    @pytest.mark.parametrize('kind', KINDS)
    @pytest.mark.parametrize('discretization', ('integrate', 'sample'))
    def test_gradcheck_wrt_coords(self, kind, discretization):
        coords = torch.tensor([[[2.3, 1.6], [-0.7, 5.2]]], dtype=torch.float64,
                              requires_grad=True)
        assert gradcheck(lambda c: render_target_heatmaps(c, (5, 4), 0.8, kind, discretization),
                         (coords, ),
                         fast_mode=True)

    def test_half_coords_under_autocast_give_float32(self):
        coords = torch.tensor([[[3.5, 2.25]]], dtype=torch.float16)
        with torch.autocast(device_type='cpu', dtype=torch.bfloat16):
            heatmaps = render_target_heatmaps(coords, (8, 6))
        assert heatmaps.dtype == torch.float32
        assert torch.isfinite(heatmaps).all()

    def test_exception(self):
        coords = torch.zeros(1, 1, 2)
        with pytest.raises(ValueError, match='kind'):
            render_target_heatmaps(coords, (4, 4), kind='cauchy')
        with pytest.raises(ValueError, match='discretization'):
            render_target_heatmaps(coords, (4, 4), discretization='bilinear')
        for bad_scale in (0.0, -1.0, math.nan, math.inf):
            with pytest.raises(ValueError, match='scale'):
                render_target_heatmaps(coords, (4, 4), scale=bad_scale)
        with pytest.raises(ValueError, match='heatmap_size'):
            render_target_heatmaps(coords, (4, 0))
        with pytest.raises(ValueError, match='heatmap_size'):
            render_target_heatmaps(coords, (4, 4, 4))
        with pytest.raises(ValueError, match='coords'):
            render_target_heatmaps(torch.zeros(1, 1, 3), (4, 4))
