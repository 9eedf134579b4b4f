"""Tests of the functional losses (mmlaplace.models.losses.functional) and their modules."""
import math

import pytest
import torch
from torch.autograd import gradcheck

import mmlaplace.models as models
from mmlaplace.models import losses
from mmlaplace.models.losses import (
    GaussianKLLoss,
    LaplaceKLLoss,
    SoftArgmaxLoss,
    gaussian_kl_loss,
    laplace_kl_loss,
    soft_argmax_loss,
)
from mmlaplace.models.losses import functional as F
from mmlaplace.models.utils import normalize_heatmaps

FUNCTIONS = {'laplace_kl_loss': (laplace_kl_loss, LaplaceKLLoss),
             'gaussian_kl_loss': (gaussian_kl_loss, GaussianKLLoss),
             'soft_argmax_loss': (soft_argmax_loss, SoftArgmaxLoss)}
KL_FUNCTIONS = ('laplace_kl_loss', 'gaussian_kl_loss')


def four_point_heatmaps(num_k: int = 1, dtype=torch.float32) -> torch.Tensor:
    """Mass 1/4 at (x, y) in {2, 4} x {2, 4} of a 6 x 6 map: mu = 3, b = 1, var = 1 per axis."""
    heatmaps = torch.zeros(1, num_k, 6, 6, dtype=dtype)
    heatmaps[..., 2:5:2, 2:5:2] = 0.25
    return heatmaps


def random_inputs(batch=2, num_k=4, height=7, width=9, dtype=torch.float32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    heatmaps = normalize_heatmaps(torch.randn(batch, num_k, height, width, generator=gen,
                                              dtype=dtype) * 2)
    target = torch.rand(batch, num_k, 2, generator=gen, dtype=dtype) * (min(height, width) - 1)
    weight = torch.rand(batch, num_k, generator=gen, dtype=dtype)
    return heatmaps, target, weight


def kwargs_for(name, **kwargs):
    if name not in KL_FUNCTIONS:
        kwargs.pop('target_scale', None)
        kwargs.pop('eps', None)
    return kwargs


# ------------------------------------------------------------------------ module == function
@pytest.mark.parametrize('name', FUNCTIONS)
@pytest.mark.parametrize('reduction', ['mean', 'none'])
@pytest.mark.parametrize('use_target_weight', [True, False])
@pytest.mark.parametrize('weight_shape', ['none', '(B, K)', '(B, K, 1)'])
def test_function_equals_module(name, reduction, use_target_weight, weight_shape):
    function, module_type = FUNCTIONS[name]
    heatmaps, target, weight = random_inputs()
    weight = {'none': None, '(B, K)': weight, '(B, K, 1)': weight[..., None]}[weight_shape]
    kwargs = kwargs_for(name, target_scale=1.7, use_target_weight=use_target_weight,
                        reduction=reduction)
    expected = function(heatmaps, target, weight, **kwargs)
    module = module_type(loss_weight=0.3, **kwargs)
    assert torch.equal(module(heatmaps, target, weight), expected * 0.3)
    assert torch.equal(module_type(**kwargs)(heatmaps, target, weight), expected)
    assert expected.shape == ((2, 4) if reduction == 'none' else ())


@pytest.mark.parametrize('name', FUNCTIONS)
def test_modules_keep_their_interface(name):
    _, module_type = FUNCTIONS[name]
    module = module_type()
    assert module.takes_heatmaps is True
    assert module.use_target_weight is True and module.loss_weight == 1.0
    assert module.reduction == 'mean' and module.eps == 1e-6
    assert hasattr(module, 'target_scale') == (name in KL_FUNCTIONS)
    # the NonFiniteLossHook switches `reduction` on a built module
    heatmaps, target, weight = random_inputs()
    module.reduction = 'none'
    assert module(heatmaps, target, weight).shape == (2, 4)


def test_functions_are_exported():
    for name, (function, _) in FUNCTIONS.items():
        assert getattr(losses, name) is function is getattr(F, name)
        assert getattr(models, name) is function
        assert name in losses.__all__ and name in models.__all__
    # the closed form, not the submodule of the same name
    assert losses.laplace_kl is F.laplace_kl and callable(losses.laplace_kl)


@pytest.mark.parametrize('name', FUNCTIONS)
def test_weighted_mean_and_reduction_none(name):
    function, _ = FUNCTIONS[name]
    heatmaps, target, weight = random_inputs(seed=3)
    per_landmark = function(heatmaps, target, reduction='none')
    assert torch.allclose(function(heatmaps, target, weight),
                          (per_landmark * weight).sum() / weight.sum())
    assert torch.allclose(function(heatmaps, target), per_landmark.mean())
    assert torch.allclose(function(heatmaps, target, weight, use_target_weight=False),
                          per_landmark.mean())
    # reduction='none' ignores the weights
    assert torch.equal(function(heatmaps, target, weight, reduction='none'), per_landmark)


@pytest.mark.parametrize('name', FUNCTIONS)
def test_zero_weights_give_zero_attached_to_the_graph(name):
    function, _ = FUNCTIONS[name]
    logits = torch.randn(2, 3, 5, 5, requires_grad=True)
    target = torch.rand(2, 3, 2) * 4
    target[1, 2] = math.nan  # allowed where the weight is 0
    loss = function(normalize_heatmaps(logits), target, torch.zeros(2, 3))
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    assert torch.isfinite(logits.grad).all()


@pytest.mark.parametrize('name', FUNCTIONS)
@pytest.mark.parametrize('dtype', [torch.float64, torch.float16, torch.bfloat16])
def test_dtypes(name, dtype):
    function, _ = FUNCTIONS[name]
    heatmaps, target, weight = random_inputs()
    loss = function(heatmaps.to(dtype), target.to(dtype), weight.to(dtype))
    assert loss.dtype == (torch.float64 if dtype == torch.float64 else torch.float32)
    assert torch.isfinite(loss)
    # integer / bool inputs are converted (a one-hot integer map, a bool visibility mask)
    one_hot = torch.zeros(1, 1, 4, 4, dtype=torch.long)
    one_hot[0, 0, 1, 2] = 1
    assert torch.isfinite(function(one_hot, torch.tensor([[[2, 1]]]),
                                   torch.tensor([[True]])))


# ------------------------------------------------------------------------------ closed forms
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_closed_form_values_on_a_four_point_heatmap(dtype):
    heatmaps = four_point_heatmaps(dtype=dtype)

    def at(x, y):
        return torch.tensor([[[x, y]]], dtype=dtype)

    tol = dict(rel_tol=1e-6, abs_tol=1e-6)
    # LaplaceKL: 0 on target with b0 = 1; one pixel off on x: |d| / b0 + exp(-|d| / b) - 1
    assert float(laplace_kl_loss(heatmaps, at(3, 3))) == 0.0
    assert math.isclose(float(laplace_kl_loss(heatmaps, at(4, 3))), math.exp(-1), **tol)
    # b0 = 2 on target: per axis log(b0 / b) + b / b0 - 1
    assert math.isclose(float(laplace_kl_loss(heatmaps, at(3, 3), target_scale=2.0)),
                        2 * (math.log(2) + 0.5 - 1), **tol)
    # GaussianKL: sigma0 = 2 on target: per axis (1 / 4 - log(1 / 4) - 1) / 2
    assert float(gaussian_kl_loss(heatmaps, at(3, 3))) == 0.0
    assert math.isclose(float(gaussian_kl_loss(heatmaps, at(3, 3), target_scale=2.0)),
                        0.25 - math.log(0.25) - 1, **tol)
    # two pixels off on y, sigma0 = 1: d^2 / 2
    assert math.isclose(float(gaussian_kl_loss(heatmaps, at(3, 5))), 2.0, **tol)
    # soft-argmax: |(3, 3) - (0, 0)|
    assert math.isclose(float(soft_argmax_loss(heatmaps, at(0, 0))), math.sqrt(18), **tol)


def test_closed_form_weighted_mean_over_landmarks():
    heatmaps = four_point_heatmaps(num_k=2)
    target = torch.tensor([[[4.0, 3.0], [3.0, 3.0]]])  # KL exp(-1) and 0
    loss = laplace_kl_loss(heatmaps, target, torch.tensor([[3.0, 1.0]]))
    assert math.isclose(float(loss), 3 * math.exp(-1) / 4, rel_tol=1e-6)


@pytest.mark.parametrize('eps', [1e-6, 1e-3])
def test_closed_form_one_hot_heatmap(eps):
    # a one-hot map has b = 0, clamped to eps: on target, per axis log(b0 / eps) + eps / b0 - 1
    heatmaps = torch.zeros(1, 1, 5, 7, dtype=torch.float64)
    heatmaps[0, 0, 3, 5] = 1.0
    target = torch.tensor([[[5.0, 3.0]]], dtype=torch.float64)
    expected = 2 * (math.log(2.0 / eps) + eps / 2.0 - 1)
    loss = laplace_kl_loss(heatmaps, target, target_scale=2.0, eps=eps)
    assert math.isclose(float(loss), expected, rel_tol=1e-12)
    assert float(soft_argmax_loss(heatmaps, target)) == 0.0


# --------------------------------------------------------------------------------- gradients
@pytest.mark.parametrize('name', FUNCTIONS)
@pytest.mark.parametrize('reduction', ['mean', 'none'])
def test_gradcheck_heatmaps_target_and_weight(name, reduction):
    function, _ = FUNCTIONS[name]
    heatmaps, target, weight = random_inputs(batch=2, num_k=2, height=4, width=5,
                                             dtype=torch.float64, seed=1)
    inputs = tuple(x.clone().requires_grad_(True) for x in (heatmaps, target, weight))
    kwargs = kwargs_for(name, target_scale=1.3, reduction=reduction)
    assert gradcheck(lambda h, t, w: function(h, t, w, **kwargs), inputs)


@pytest.mark.parametrize('name', FUNCTIONS)
def test_gradcheck_through_the_softmax(name):
    function, _ = FUNCTIONS[name]
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(1, 3, 4, 4, dtype=torch.float64, generator=gen).requires_grad_(True)
    target = torch.rand(1, 3, 2, dtype=torch.float64, generator=gen) * 3
    weight = torch.tensor([[1.0, 0.0, 0.5]], dtype=torch.float64)
    assert gradcheck(lambda z: function(normalize_heatmaps(z), target, weight), (logits, ))


# ------------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize('name', FUNCTIONS)
def test_bad_shapes_raise_value_error_naming_the_argument(name):
    function, _ = FUNCTIONS[name]
    heatmaps, target, weight = random_inputs(batch=2, num_k=3)
    for bad in (heatmaps[0], heatmaps[None]):  # 3-D and 5-D
        with pytest.raises(ValueError, match=rf'{name}: `heatmaps` must be a tensor of shape '
                           r'\(B, K, H, W\)'):
            function(bad, target)
    with pytest.raises(ValueError, match=rf'{name}: `heatmaps` must have H, W >= 1'):
        function(heatmaps[..., :0], target)
    for bad in (target[:, :2], torch.zeros(2, 4, 2), torch.zeros(2, 3, 3), target[0]):
        with pytest.raises(ValueError, match=rf'{name}: `target` must be a tensor of shape '
                           r'\(B, K, 2\) = \(2, 3, 2\)'):
            function(heatmaps, bad)
    for bad in (weight[:, :2], torch.ones(2, 3, 2), torch.ones(3, 2)):
        with pytest.raises(ValueError, match=rf'{name}: `target_weight` must be a tensor of '
                           r'shape \(B, K\) or \(B, K, 1\)'):
            function(heatmaps, target, bad)
    # the shape of ignored weights is still checked, as by the modules
    with pytest.raises(ValueError, match='`target_weight`'):
        function(heatmaps, target, weight[:, :2], use_target_weight=False)


@pytest.mark.parametrize('name', FUNCTIONS)
def test_bad_types_raise_type_error_naming_the_argument(name):
    function, _ = FUNCTIONS[name]
    heatmaps, target, weight = random_inputs(batch=1, num_k=2)
    with pytest.raises(TypeError, match=rf'{name}: `heatmaps` must be a torch.Tensor'):
        function(heatmaps.tolist(), target)
    with pytest.raises(TypeError, match=rf'{name}: `target` must be a torch.Tensor'):
        function(heatmaps, target.numpy())
    with pytest.raises(TypeError, match=rf'{name}: `target_weight` must be a torch.Tensor'):
        function(heatmaps, target, [[1.0, 1.0]])
    with pytest.raises(TypeError, match=rf'{name}: `heatmaps` must have a real dtype'):
        function(heatmaps.to(torch.complex64), target)
    with pytest.raises(TypeError, match=rf'{name}: `target` must have a real dtype'):
        function(heatmaps, target.to(torch.complex64))


@pytest.mark.parametrize('name', FUNCTIONS)
@pytest.mark.parametrize('value', [math.nan, math.inf, -math.inf])
def test_non_finite_values_raise_naming_the_landmarks(name, value):
    function, _ = FUNCTIONS[name]
    heatmaps, target, weight = random_inputs(batch=2, num_k=4)
    bad = heatmaps.clone()
    bad[1, 2, 0, 3] = value
    with pytest.raises(ValueError, match=rf'{name}: heatmaps contain NaN/Inf values at '
                       r'landmarks \[2\]'):
        function(bad, target, weight)
    bad = target.clone()
    bad[0, 3, 1] = value
    with pytest.raises(ValueError, match=rf'{name}: target contains NaN/Inf values at '
                       r'landmarks \[3\] whose target_weight is not 0'):
        function(heatmaps, bad, weight)
    weight[:, 3] = 0  # ... unless its weight is 0
    assert torch.isfinite(function(heatmaps, bad, weight))
    bad = weight.clone()
    bad[1, 1] = value
    with pytest.raises(ValueError, match=rf'{name}: target_weight is negative or NaN/Inf at '
                       r'landmarks \[1\]'):
        function(heatmaps, target, bad)
    # ignored weights are not checked for values
    assert torch.isfinite(function(heatmaps, target, bad, use_target_weight=False))


@pytest.mark.parametrize('name', FUNCTIONS)
def test_negative_weight_raises(name):
    function, module_type = FUNCTIONS[name]
    heatmaps, target, weight = random_inputs(batch=2, num_k=3)
    weight[0, 0] = -0.5
    with pytest.raises(ValueError, match=r'target_weight is negative or NaN/Inf at landmarks '
                       r'\[0\]'):
        function(heatmaps, target, weight)
    with pytest.raises(ValueError, match=rf'{module_type.__name__}: target_weight is negative'):
        module_type()(heatmaps, target, weight)


@pytest.mark.parametrize('name', FUNCTIONS)
def test_bad_options(name):
    function, module_type = FUNCTIONS[name]
    heatmaps, target, _ = random_inputs(batch=1, num_k=2)
    with pytest.raises(ValueError, match=rf"{name}: `reduction` must be one of \('mean', "
                       r"'none'\), got 'sum'"):
        function(heatmaps, target, reduction='sum')
    with pytest.raises(ValueError, match=rf"{module_type.__name__}: `reduction`"):
        module_type(reduction='sum')
    if name not in KL_FUNCTIONS:
        return
    for value in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match=rf'{name}: `target_scale` must be positive and '
                           'finite'):
            function(heatmaps, target, target_scale=value)
        with pytest.raises(ValueError, match=rf'{module_type.__name__}: `target_scale`'):
            module_type(target_scale=value)
        with pytest.raises(ValueError, match=rf'{name}: `eps` must be positive and finite'):
            function(heatmaps, target, eps=value)
    for value in ('1.0', None, True):
        with pytest.raises(TypeError, match=rf'{name}: `target_scale` must be a number'):
            function(heatmaps, target, target_scale=value)
    # a one-element tensor is a number
    assert torch.equal(function(heatmaps, target, target_scale=torch.tensor(2.0)),
                       function(heatmaps, target, target_scale=2.0))
