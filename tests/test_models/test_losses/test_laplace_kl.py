"""Tests of mmlaplace.models.losses.laplace_kl: closed forms, gradients, loss modules."""
import math

import pytest
import torch
from torch.autograd import gradcheck

from mmlaplace.models.losses import (
    GaussianKLLoss,
    LaplaceKLLoss,
    SoftArgmaxLoss,
    gaussian_kl,
    laplace_kl,
    soft_argmax_distance,
)
from mmlaplace.models.utils import heatmap_moments, normalize_heatmaps, render_target_heatmaps

LOSSES = (LaplaceKLLoss, GaussianKLLoss, SoftArgmaxLoss)


def t64(*values):
    return torch.tensor(values, dtype=torch.float64)


class TestLaplaceKL:

    @pytest.mark.parametrize('mu_p, b_p, mu_q, b_q, expected', [
        (0.0, 1.0, 0.0, 1.0, 0.0),
        (0.3, 0.5, 0.0, 1.0, 0.267553),
        (0.0, 1.0, 1.0, 0.5, 1.042612),
        # By hand: log(2) + 2/2 + (1/2) exp(-2) - 1 = 0.693147 + 0.067668.
        (2.0, 1.0, 0.0, 2.0, 0.760815),
    ])
    def test_closed_form(self, mu_p, b_p, mu_q, b_q, expected):
        kl = laplace_kl(t64(mu_p), t64(b_p), t64(mu_q), t64(b_q))
        assert abs(float(kl) - expected) < 1e-6

    def test_python_float_target_broadcasts(self):
        kl = laplace_kl(t64(0.3, 0.0), t64(0.5, 1.0), 0.0, 1.0)
        assert torch.allclose(kl, t64(0.267553, 0.0), atol=1e-6)

    def test_non_negative_and_zero_only_at_equality(self):
        torch.manual_seed(0)
        mu_p, mu_q = torch.randn(2, 1000, dtype=torch.float64) * 3
        b_p, b_q = torch.rand(2, 1000, dtype=torch.float64) * 3 + 0.05
        assert (laplace_kl(mu_p, b_p, mu_q, b_q) > 0).all()
        zero = laplace_kl(mu_p, b_p, mu_p, b_p)
        assert torch.allclose(zero, torch.zeros(1000, dtype=torch.float64))

    def test_gradcheck(self):
        mu_p, mu_q = (torch.randn(2, 3, 2, dtype=torch.float64, requires_grad=True) for _ in '01')
        b_p, b_q = (torch.rand(2, 3, 2, dtype=torch.float64).add(0.2).requires_grad_(True)
                    for _ in '01')
        assert gradcheck(laplace_kl, (mu_p, b_p, mu_q, b_q))


class TestGaussianKL:

    @pytest.mark.parametrize('mu_p, var_p, mu_q, var_q, expected', [
        (0.0, 1.0, 0.0, 1.0, 0.0),
        (1.0, 1.0, 0.0, 1.0, 0.5),  # (mu_p - mu_q)^2 / 2
        (0.0, 4.0, 0.0, 1.0, 0.806853),  # 0.5 log(1/4) + 4/2 - 1/2
        (0.0, 1.0, 2.0, 4.0, 0.818147),  # 0.5 log(4) + (1 + 4)/8 - 1/2
    ])
    def test_closed_form(self, mu_p, var_p, mu_q, var_q, expected):
        kl = gaussian_kl(t64(mu_p), t64(var_p), t64(mu_q), t64(var_q))
        assert abs(float(kl) - expected) < 1e-6

    def test_non_negative_and_zero_only_at_equality(self):
        torch.manual_seed(0)
        mu_p, mu_q = torch.randn(2, 1000, dtype=torch.float64) * 3
        var_p, var_q = torch.rand(2, 1000, dtype=torch.float64) * 3 + 0.05
        assert (gaussian_kl(mu_p, var_p, mu_q, var_q) > 0).all()
        zero = gaussian_kl(mu_p, var_p, mu_p, var_p)
        assert torch.allclose(zero, torch.zeros(1000, dtype=torch.float64))

    def test_gradcheck(self):
        mu_p, mu_q = (torch.randn(2, 3, 2, dtype=torch.float64, requires_grad=True) for _ in '01')
        var_p, var_q = (torch.rand(2, 3, 2, dtype=torch.float64).add(0.2).requires_grad_(True)
                        for _ in '01')
        assert gradcheck(gaussian_kl, (mu_p, var_p, mu_q, var_q))


class TestSoftArgmaxDistance:

    def test_value(self):
        mu = torch.tensor([[[3.0, 4.0], [1.0, 1.0]]])
        assert torch.allclose(soft_argmax_distance(mu, torch.zeros(1, 2, 2)),
                              torch.tensor([[5.0, math.sqrt(2)]]))

    def test_gradient_at_zero_distance_is_finite(self):
        mu = torch.zeros(1, 2, 2, requires_grad=True)
        soft_argmax_distance(mu, torch.zeros(1, 2, 2)).sum().backward()
        assert torch.isfinite(mu.grad).all()


class TestLaplaceKLLoss:

    @pytest.mark.parametrize('centre', [(20.0, 40.0), (31.5, 25.5), (20.3, 33.7)])
    def test_minimized_at_rendered_laplace_on_target(self, centre):
        target = torch.tensor([[centre]])
        heatmaps = render_target_heatmaps(target, (64, 64), scale=1.0, kind='laplace')
        assert float(LaplaceKLLoss()(heatmaps, target)) < 1e-2

    def test_shifted_wider_or_narrower_heatmap_gives_larger_loss(self):
        target = torch.tensor([[[20.0, 40.0]]])
        loss = LaplaceKLLoss()
        at_target = loss(render_target_heatmaps(target, (64, 64), 1.0), target)
        for heatmaps in (render_target_heatmaps(target + 1.0, (64, 64), 1.0),
                         render_target_heatmaps(target, (64, 64), 2.0),
                         render_target_heatmaps(target, (64, 64), 0.5)):
            assert loss(heatmaps, target) > at_target + 0.1

    def test_target_scale(self):
        target = torch.tensor([[[20.0, 40.0]]])
        wide = render_target_heatmaps(target, (64, 64), scale=3.0)
        assert LaplaceKLLoss(target_scale=3.0)(wide, target) < 1e-2
        assert LaplaceKLLoss(target_scale=1.0)(wide, target) > 0.5

    def test_gradcheck(self):
        torch.manual_seed(0)
        logits = torch.randn(2, 3, 5, 6, dtype=torch.float64, requires_grad=True)
        target = torch.rand(2, 3, 2, dtype=torch.float64) * 4
        weight = torch.tensor([[1.0, 0.0, 1.0], [1.0, 1.0, 0.5]], dtype=torch.float64)
        loss = LaplaceKLLoss()
        assert gradcheck(lambda z: loss(normalize_heatmaps(z), target, weight), (logits, ),
                         fast_mode=True)

    def test_extreme_logits_give_finite_loss_and_gradients(self):
        torch.manual_seed(0)
        logits = (torch.randn(2, 3, 8, 8).sign() * 1e4).requires_grad_(True)
        logits.data[0, 0] = -1e4
        logits.data[0, 0, 3, 4] = 1e4  # one-hot after the softmax
        target = torch.rand(2, 3, 2) * 7
        for loss_type in LOSSES:
            logits.grad = None
            loss = loss_type()(normalize_heatmaps(logits), target)
            loss.backward()
            assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()

    def test_one_hot_heatmap_gives_finite_loss(self):
        heatmaps = torch.zeros(1, 1, 6, 6)
        heatmaps[0, 0, 2, 3] = 1.0
        loss = LaplaceKLLoss(eps=1e-6)(heatmaps, torch.tensor([[[3.0, 2.0]]]))
        # b is clamped to eps on both axes: 2 * (log(1 / eps) + eps - 1).
        assert torch.isfinite(loss)
        assert abs(float(loss) - 2 * (math.log(1e6) + 1e-6 - 1)) < 1e-3

    @pytest.mark.parametrize('loss_type', LOSSES)
    def test_zero_weights_give_zero_with_finite_gradient(self, loss_type):
        logits = torch.randn(2, 3, 5, 5, requires_grad=True)
        target = torch.rand(2, 3, 2) * 4
        target[0, 1] = math.nan  # unlabeled landmarks may carry NaN coordinates
        loss = loss_type()(normalize_heatmaps(logits), target, torch.zeros(2, 3))
        assert loss.item() == 0.0 and loss.requires_grad
        loss.backward()
        assert torch.isfinite(logits.grad).all()

    def test_weighted_mean_over_landmarks(self):
        torch.manual_seed(0)
        heatmaps = normalize_heatmaps(torch.randn(2, 3, 6, 7))
        target = torch.rand(2, 3, 2) * 5
        weight = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
        target[0, 1] = math.inf  # ignored: weight 0
        per_landmark = LaplaceKLLoss(reduction='none')(heatmaps, target.nan_to_num(posinf=0.0))
        expected = (per_landmark * weight).sum() / weight.sum()
        loss = LaplaceKLLoss(loss_weight=2.0)
        assert torch.allclose(loss(heatmaps, target, weight), 2 * expected)
        assert torch.allclose(loss(heatmaps, target, weight[..., None]), 2 * expected)
        unweighted = LaplaceKLLoss(use_target_weight=False)
        finite_target = target.nan_to_num(posinf=0.0)
        assert torch.allclose(unweighted(heatmaps, finite_target, weight), per_landmark.mean())

    def test_module_equals_pure_function(self):
        torch.manual_seed(0)
        heatmaps = normalize_heatmaps(torch.randn(2, 4, 9, 7))
        target = torch.rand(2, 4, 2) * 6
        weight = torch.rand(2, 4)
        mu, b, var = heatmap_moments(heatmaps)
        cases = [
            (LaplaceKLLoss(target_scale=1.5), laplace_kl(mu, b, target, 1.5).sum(-1)),
            (GaussianKLLoss(target_scale=1.5), gaussian_kl(mu, var, target, 2.25).sum(-1)),
            (SoftArgmaxLoss(), soft_argmax_distance(mu, target)),
        ]
        for module, per_landmark in cases:
            expected = (per_landmark * weight).sum() / weight.sum()
            assert torch.allclose(module(heatmaps, target, weight), expected)
            module.reduction = 'none'
            assert torch.allclose(module(heatmaps, target, weight), per_landmark)

    @pytest.mark.parametrize('loss_type', LOSSES)
    @pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
    def test_half_inputs_under_autocast_give_float32(self, loss_type, dtype):
        logits = torch.randn(2, 3, 8, 8) * 50
        target = torch.rand(2, 3, 2) * 7
        with torch.autocast(device_type='cpu', dtype=dtype):
            heatmaps = normalize_heatmaps(logits).to(dtype)
            loss = loss_type()(heatmaps, target.to(dtype), torch.ones(2, 3, dtype=dtype))
        assert loss.dtype == torch.float32 and torch.isfinite(loss)

    @pytest.mark.parametrize('loss_type', LOSSES)
    @pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
    def test_half_logits_under_autocast_give_finite_gradients(self, loss_type, dtype):
        # The usual mixed-precision path: half logits from the network, float32 from
        # normalize_heatmaps on (float16 heatmaps of sharp maps would overflow the gradient).
        logits = (torch.randn(2, 3, 8, 8) * 50).to(dtype).requires_grad_(True)
        with torch.autocast(device_type='cpu', dtype=dtype):
            loss = loss_type()(normalize_heatmaps(logits), torch.rand(2, 3, 2) * 7)
        assert loss.dtype == torch.float32 and torch.isfinite(loss)
        loss.backward()
        assert logits.grad.dtype == dtype and torch.isfinite(logits.grad).all()

    @pytest.mark.parametrize('loss_type', LOSSES)
    def test_exception(self, loss_type):
        loss = loss_type()
        heatmaps = normalize_heatmaps(torch.randn(2, 3, 4, 4))
        target = torch.zeros(2, 3, 2)
        with pytest.raises(ValueError, match='heatmaps'):
            loss(heatmaps[0], target)
        with pytest.raises(ValueError, match='target'):
            loss(heatmaps, torch.zeros(2, 3, 3))
        with pytest.raises(ValueError, match='target'):
            loss(heatmaps, torch.zeros(2, 4, 2))
        with pytest.raises(ValueError, match='target_weight'):
            loss(heatmaps, target, torch.ones(2, 4))
        with pytest.raises(ValueError, match='target_weight'):
            loss(heatmaps, target, torch.ones(2, 3, 2))
        with pytest.raises(ValueError, match='reduction'):
            loss_type(reduction='sum')
        if loss_type is not SoftArgmaxLoss:
            with pytest.raises(ValueError, match='target_scale'):
                loss_type(target_scale=0.0)

    def test_non_finite_heatmaps_raise_naming_the_landmarks(self):
        heatmaps = normalize_heatmaps(torch.randn(2, 5, 4, 4))
        heatmaps[1, 3, 0, 0] = math.nan
        heatmaps[0, 1, 2, 2] = math.inf
        with pytest.raises(ValueError,
                           match=r'LaplaceKLLoss: heatmaps contain NaN/Inf values at landmarks '
                           r'\[1, 3\]'):
            LaplaceKLLoss()(heatmaps, torch.zeros(2, 5, 2))

    @pytest.mark.parametrize('value', [math.nan, math.inf, -math.inf])
    @pytest.mark.parametrize('loss_type', [LaplaceKLLoss, GaussianKLLoss, SoftArgmaxLoss])
    def test_any_non_finite_pixel_is_caught(self, value, loss_type):
        """The check runs on the moments: a bad value at any pixel (corners, row/column 0
        where the coordinate weight is 0) must still be reported, and only for its landmark."""
        for row, col in [(0, 0), (0, 4), (3, 0), (3, 4), (1, 2)]:
            heatmaps = normalize_heatmaps(torch.randn(1, 3, 4, 5))
            heatmaps[0, 2, row, col] = value
            with pytest.raises(ValueError, match=r'heatmaps contain NaN/Inf values at landmarks '
                               r'\[2\]'):
                loss_type()(heatmaps, torch.ones(1, 3, 2))

    def test_non_finite_target_with_positive_weight_raises(self):
        heatmaps = normalize_heatmaps(torch.randn(1, 3, 4, 4))
        target = torch.zeros(1, 3, 2)
        target[0, 2, 1] = math.nan
        with pytest.raises(ValueError, match=r'target contains NaN/Inf values at landmarks \[2\]'):
            LaplaceKLLoss()(heatmaps, target, torch.ones(1, 3))

    def test_registry_build(self):
        from mmpose.registry import MODELS
        loss = MODELS.build(dict(type='LaplaceKLLoss'))
        assert isinstance(loss, LaplaceKLLoss) and loss.target_scale == 1.0
        gaussian = MODELS.build(dict(type='GaussianKLLoss', target_scale=2.0, loss_weight=0.5))
        assert isinstance(gaussian, GaussianKLLoss) and gaussian.loss_weight == 0.5
        assert isinstance(MODELS.build(dict(type='SoftArgmaxLoss')), SoftArgmaxLoss)


class TestGaussianKLLoss:

    def test_minimized_at_rendered_gaussian_on_target(self):
        target = torch.tensor([[[20.0, 40.0], [31.3, 25.8]]])
        heatmaps = render_target_heatmaps(target, (64, 64), scale=2.0, kind='gaussian')
        assert float(GaussianKLLoss(target_scale=2.0)(heatmaps, target)) < 1e-4
        assert float(GaussianKLLoss(target_scale=1.0)(heatmaps, target)) > 0.5


class TestSoftArgmaxLoss:

    def test_is_mean_distance_of_soft_argmax(self):
        heatmaps = torch.zeros(1, 2, 8, 8)
        heatmaps[0, 0, 4, 3] = 1.0  # (x, y) = (3, 4)
        heatmaps[0, 1, 0, 0] = 1.0
        loss = SoftArgmaxLoss()(heatmaps, torch.zeros(1, 2, 2))
        assert torch.allclose(loss, torch.tensor(2.5))
