"""pip_loss / PIPLoss: closed-form values, weights, gradcheck in float64, bad input."""
import pytest
import torch

import mmlaplace  # noqa: F401
from mmlaplace.codecs import PIPLabel
from mmlaplace.models.losses import PIPLoss, pip_loss


def _setup(dtype=torch.float64, weights=None):
    codec = PIPLabel(input_size=(64, 64), heatmap_size=(4, 4), neighbor_indices=[[1], [0]])
    labels = torch.tensor([[[0.30, 0.55], [0.70, 0.10]]], dtype=dtype)
    w = torch.ones(1, 2, dtype=dtype) if weights is None else weights.to(dtype)
    return codec, codec.assign_targets(labels, w)


def test_closed_form_values():
    codec, t = _setup()
    scores = torch.zeros(1, 2, 4, 4, dtype=torch.float64)
    offsets = torch.zeros(1, 2, 2, 4, 4, dtype=torch.float64)
    neighbors = torch.zeros(1, 2, 1, 2, 4, 4, dtype=torch.float64)
    terms = pip_loss(scores, offsets, neighbors, t)
    # one positive cell of 16 per landmark: (1 - 0)^2 / 16
    torch.testing.assert_close(terms['score'], torch.tensor(1 / 16, dtype=torch.float64))
    # grid (1.2, 2.2) -> offsets (0.2, 0.2); (2.8, 0.4) -> (0.8, 0.4): mean |o| = 0.4
    torch.testing.assert_close(terms['offset'], torch.tensor(0.4, dtype=torch.float64))
    # neighbour of 0 from cell (1, 2): (1.8, -1.6); of 1 from (2, 0): (-0.8, 2.2): mean 1.6
    torch.testing.assert_close(terms['neighbor'], torch.tensor(1.6, dtype=torch.float64))
    # perfect predictions at the positive cells: every term 0
    perfect = pip_loss(t.scores, _at(t.offsets, t.cell_index), _at(t.neighbor_offsets,
                                                                   t.cell_index), t)
    assert all(float(v) < 1e-12 for v in perfect.values())


def _at(values, index, size=(4, 4)):
    """Dense (B, K, ..., H, W) maps with ``values`` (B, K, ...) at the cells ``index``."""
    b, k = index.shape
    maps = torch.zeros(*values.shape, size[1] * size[0], dtype=values.dtype)
    for i in range(b):
        for j in range(k):
            maps[i, j, ..., int(index[i, j])] = values[i, j]
    return maps.reshape(*values.shape, size[1], size[0])


def test_module_weights_and_invisible_landmarks():
    _, t = _setup(weights=torch.tensor([[1.0, 0.0]]))
    scores = torch.zeros(1, 2, 4, 4, dtype=torch.float64)
    offsets = torch.zeros(1, 2, 2, 4, 4, dtype=torch.float64)
    neighbors = torch.zeros(1, 2, 1, 2, 4, 4, dtype=torch.float64)
    losses = PIPLoss(score_weight=2.0, offset_weight=0.5, neighbor_weight=0.25)(
        scores, offsets, neighbors, t)
    torch.testing.assert_close(losses['loss_score'], torch.tensor(2 / 16, dtype=torch.float64))
    torch.testing.assert_close(losses['loss_offset'], torch.tensor(0.5 * 0.2,
                                                                   dtype=torch.float64))
    # the only neighbour pairs involve the invisible landmark 1: no neighbour term
    assert float(losses['loss_neighbor']) == 0.0


def test_gradcheck_float64():
    _, t = _setup()
    torch.manual_seed(0)
    inputs = (torch.rand(1, 2, 4, 4, dtype=torch.float64, requires_grad=True),
              torch.rand(1, 2, 2, 4, 4, dtype=torch.float64, requires_grad=True),
              torch.rand(1, 2, 1, 2, 4, 4, dtype=torch.float64, requires_grad=True))

    def total(s, o, n):
        return sum(pip_loss(s, o, n, t).values())
    assert torch.autograd.gradcheck(total, inputs)


def test_bad_input_is_refused():
    _, t = _setup(dtype=torch.float32)
    scores, offsets = torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 2, 4, 4)
    neighbors = torch.zeros(1, 2, 1, 2, 4, 4)
    with pytest.raises(ValueError, match='scores'):
        pip_loss(torch.zeros(1, 2, 3, 4), offsets, neighbors, t)
    with pytest.raises(ValueError, match='C = 1 neighbours'):
        pip_loss(scores, offsets, torch.zeros(1, 2, 2, 2, 4, 4), t)
    bad = offsets.clone()
    bad[0, 1, 0, 2, 2] = float('nan')
    with pytest.raises(ValueError, match=r'`offsets` has NaN / Inf values at landmarks \[1\]'):
        pip_loss(scores, bad, neighbors, t)
    with pytest.raises(ValueError, match='offset_weight'):
        PIPLoss(offset_weight=-1)
