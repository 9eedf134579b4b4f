"""Tests of the RCN backbone (Robinson et al., ICCV 2019, Sec. 3.4, Tables 1 and 3)."""
import copy
import math

import pytest
import torch
from torch import nn

from mmlaplace.models.backbones import RCN
from mmlaplace.models.backbones.rcn import (
    PAPER_TABLE3,
    PAPER_WIDTHS,
    rcn_num_params,
    rcn_param_table,
)

#: Parameters with biases the reconstruction reproduces (K = 68), per width.
EXACT = {1 / 16: 17_408, 1 / 8: 39_828, 1 / 4: 128_060, 1 / 2: 478_092, 1.0: 1_872_428}


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(autouse=True)
def _few_threads():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize('width', PAPER_WIDTHS)
def test_param_count_matches_table3(width):
    n = count(RCN(num_keypoints=68, width=width))
    assert n == rcn_num_params(width, 68) == EXACT[width]
    paper_params, _ = PAPER_TABLE3[width]
    assert abs(n / paper_params - 1) < 0.10
    if width != 1 / 8:  # Table 3 prints 0.0389M, the abstract 0.0398: a digit swap
        assert round(n / 1e6, 4) == pytest.approx(paper_params / 1e6, abs=1e-12)
    else:
        assert round(n / 1e6, 4) == 0.0398


def test_param_table():
    rows = rcn_param_table()
    assert [r['width'] for r in rows] == list(PAPER_WIDTHS)
    assert [r['channels'] for r in rows] == [4, 8, 16, 32, 64]
    for row in rows:
        assert row['params'] == EXACT[row['width']]
        assert row['mb'] == pytest.approx(4 * row['params'] / 1e6)
        assert abs(row['ratio'] - 1) < 0.10
        assert abs(row['mb'] / row['paper_mb'] - 1) < 0.10
    other = rcn_param_table(num_keypoints=19, widths=(0.3, ))
    assert other[0]['paper_params'] is None and other[0]['ratio'] is None
    assert other[0]['params'] == count(RCN(num_keypoints=19, width=0.3))


@pytest.mark.parametrize('size', [(80, 80), (64, 48), (72, 40)])
def test_output_shape_and_finite(size):
    model = RCN(num_keypoints=5, width=1 / 16)
    outs = model(torch.randn(2, 3, *size))
    assert isinstance(outs, tuple) and len(outs) == 1
    assert outs[0].shape == (2, 5, *size)
    assert torch.isfinite(outs[0]).all()


def test_default_k_and_width_eighth():
    model = RCN(width=1 / 8).eval()
    with torch.no_grad():
        (out, ) = model(torch.rand(1, 3, 80, 80))
    assert out.shape == (1, 68, 80, 80)
    assert torch.isfinite(out).all()
    # Near-zero last layer: the initial heatmaps softmax(z) are near uniform.
    assert out.abs().max() < 1.0


def test_channels_last_matches():
    model = RCN(num_keypoints=3, width=1 / 16).eval()
    x = torch.randn(1, 3, 32, 48)
    with torch.no_grad():
        ref = model(x)[0]
        out = model.to(memory_format=torch.channels_last)(
            x.contiguous(memory_format=torch.channels_last))[0]
    assert torch.allclose(ref, out, atol=1e-5)


@pytest.mark.parametrize('size', [(80, 84), (60, 80), (81, 81), (8, 8)])
def test_bad_size_raises(size):
    model = RCN(num_keypoints=3, width=1 / 16)
    with pytest.raises(ValueError, match=f'{size[0]}x{size[1]}'):
        model(torch.randn(1, 3, *size))


@pytest.mark.parametrize('width', [0, -0.5, float('nan'), float('inf')])
def test_bad_width_raises(width):
    with pytest.raises(ValueError, match='width'):
        RCN(width=width)


def test_small_width_has_at_least_one_channel():
    assert RCN(num_keypoints=2, width=1e-3).channels == 1


def test_every_parameter_gets_finite_gradient():
    model = RCN(num_keypoints=4, width=1 / 16).train()
    (out, ) = model(torch.randn(2, 3, 32, 32))
    # A softmax-style objective over the heatmap, like the Laplace losses downstream.
    loss = -torch.log_softmax(out.flatten(2), dim=-1)[..., 0].mean() + out.pow(2).mean()
    loss.backward()
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
    assert any(p.grad.abs().sum() > 0 for p in model.parameters())


@pytest.mark.parametrize('slope', [0.2, 0.0])
def test_in_place_activations_change_nothing(slope):
    """The in-place LeakyReLUs give the values and gradients of out-of-place ones."""
    model = RCN(num_keypoints=4, width=1 / 8, negative_slope=slope).train()
    reference = copy.deepcopy(model)
    acts = [m for m in reference.modules() if isinstance(m, nn.LeakyReLU)]
    assert acts and all(m.inplace == (slope > 0) for m in acts)
    for m in acts:
        m.inplace = False
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    grads = []
    for net in (model.double(), reference.double()):
        torch.manual_seed(0)  # the same dropout masks
        (out, ) = net(x)
        (out.sin().sum()).backward()
        grads.append([out.detach()] + [p.grad for p in net.parameters()])
    for a, b in zip(*grads):
        assert torch.equal(a, b)


def test_eval_is_deterministic_train_is_not():
    model = RCN(num_keypoints=3, width=1 / 16)
    x = torch.randn(1, 3, 32, 32)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x)[0], model(x)[0])
    model.train()
    with torch.no_grad():
        assert not torch.equal(model(x)[0], model(x)[0])


def test_dropout_placement():
    """Dropout after every activation but the first (E_1) and the last (head's second)."""
    model = RCN(num_keypoints=3, width=1 / 16, dropout=0.3)
    layers = [m for m in model.modules()
              if isinstance(m, (torch.nn.LeakyReLU, torch.nn.Dropout))]
    acts = [i for i, m in enumerate(layers) if isinstance(m, torch.nn.LeakyReLU)]
    followed = [i + 1 < len(layers) and isinstance(layers[i + 1], torch.nn.Dropout)
                for i in acts]
    assert len(acts) == 4 + 2 + 2 * 4 + 2
    assert followed == [False] + [True] * (len(acts) - 2) + [False]
    assert all(m.p == 0.3 for m in layers if isinstance(m, torch.nn.Dropout))
    assert all(math.isclose(m.negative_slope, 0.2) for m in layers
               if isinstance(m, torch.nn.LeakyReLU))


def test_registry_build():
    from mmpose.registry import MODELS
    model = MODELS.build(dict(type='RCN', width=0.25))
    assert isinstance(model, RCN)
    assert model.channels == 16 and model.num_keypoints == 68
    assert count(model) == EXACT[0.25]
    model.init_weights()


def test_train_eval_return_self():
    model = RCN(num_keypoints=2, width=1 / 16)
    assert model.eval() is model and not model.training
    assert model.train() is model and model.training


@pytest.mark.slow  # starts worker processes / a subprocess
def test_rcn_params_tool(tool, tmp_path):
    out = tmp_path / 'rcn_params.json'
    proc = tool('rcn_params.py', ['--out', str(out)])
    assert '| 1/16 | 4 | 17,408 | 17,400 |' in proc.stdout
    assert '| 1 | 64 | 1,872,428 | 1,872,400 | 1.0000 | 7.490 | 7.496 |' in proc.stdout
    import json
    rows = json.loads(out.read_text())['rows']
    assert [r['params'] for r in rows] == [EXACT[w] for w in PAPER_WIDTHS]
