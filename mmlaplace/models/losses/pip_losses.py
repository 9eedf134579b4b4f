r"""The loss of PIPNet (Jin et al., IJCV 2021, eq. 1-6): score L2 + offset L1 + neighbour L1."""
from typing import Dict

import torch
from mmpose.registry import MODELS
from torch import Tensor, nn

from ...codecs.pip_label import PIPTargets, gather_cells

# alpha = beta of the paper's Sec. 4.1, by network stride
PIP_LOSS_WEIGHTS_BY_STRIDE = {16: 0.02, 32: 0.1, 64: 0.125, 128: 0.25}


def pip_loss(scores: Tensor, offsets: Tensor, neighbor_offsets: Tensor,
             targets: PIPTargets) -> Dict[str, Tensor]:
    r"""The three terms of the PIPNet loss, unweighted.

    .. math::

        L_S = \frac{\sum_k w_k \sum_{cells} (s^*_k - s_k)^2}{H W \sum_k w_k}, \quad
        L_O = \frac{\sum_k w_k \sum_{a} |o^*_{ka} - o_{ka}(c_k)|}{2 \sum_k w_k}, \quad
        L_N = \frac{\sum_{k, j} w_{kj} \sum_a |n^*_{kja} - n_{kja}(c_k)|}{2 \sum_{k, j} w_{kj}}

    with :math:`c_k` the positive cell, :math:`w_k` the keypoint weights and :math:`w_{kj}`
    the product of the weights of landmark ``k`` and its neighbour ``j``. With every weight 1
    these are the paper's eq. 2, 3 and 6 (normalized by ``N H W``, ``2N`` and ``2CN``),
    averaged over the batch. A term with no weight (all zero, or ``C = 0``) is 0.

    Args:
        scores (Tensor): (B, K, H, W) predicted score maps.
        offsets (Tensor): (B, K, 2, H, W) predicted own offsets, grid units.
        neighbor_offsets (Tensor): (B, K, C, 2, H, W) predicted neighbour offsets.
        targets (PIPTargets): :meth:`PIPLabel.assign_targets` of the batch.

    Returns:
        dict[str, Tensor]: ``score``, ``offset`` and ``neighbor`` scalars.

    Raises:
        ValueError: For maps whose shape does not match the targets, naming the argument.

    Example:
        >>> import torch
        >>> from mmlaplace.codecs import PIPLabel
        >>> codec = PIPLabel(input_size=(64, 64), heatmap_size=(2, 2))
        >>> t = codec.assign_targets(torch.tensor([[[0.3, 0.6]]]), torch.ones(1, 1))
        >>> terms = pip_loss(t.scores, torch.zeros(1, 1, 2, 2, 2),
        ...                  torch.zeros(1, 1, 0, 2, 2, 2), t)
        >>> [round(float(v), 4) for v in terms.values()]  # offsets (0.6, 0.2): mean 0.4
        [0.0, 0.4, 0.0]
    """
    _check_shapes(scores, offsets, neighbor_offsets, targets)
    num, k, height, width = scores.shape
    w = targets.weights.to(scores.dtype)
    sq = (scores - targets.scores.to(scores.dtype)).pow(2).mean(dim=(2, 3))
    loss_score = (sq * w).sum() / w.sum().clamp(min=1e-12)

    index = targets.cell_index
    own = gather_cells(offsets, index)  # (B, K, 2)
    loss_offset = ((own - targets.offsets).abs().sum(-1) * w).sum() / (2 * w.sum()).clamp(
        min=1e-12)

    if neighbor_offsets.shape[2]:
        nb = gather_cells(neighbor_offsets, index)  # (B, K, C, 2)
        wn = targets.neighbor_weights.to(scores.dtype)
        loss_neighbor = ((nb - targets.neighbor_offsets).abs().sum(-1) * wn).sum() / (
            2 * wn.sum()).clamp(min=1e-12)
    else:
        loss_neighbor = scores.new_zeros(())
    return dict(score=loss_score, offset=loss_offset, neighbor=loss_neighbor)


def _check_shapes(scores: Tensor, offsets: Tensor, neighbor_offsets: Tensor,
                  targets: PIPTargets) -> None:
    if scores.shape != targets.scores.shape:
        raise ValueError(f'pip_loss: `scores` {tuple(scores.shape)} differ from the target '
                         f'score maps {tuple(targets.scores.shape)}')
    num, k, height, width = scores.shape
    if tuple(offsets.shape) != (num, k, 2, height, width):
        raise ValueError(f'pip_loss: `offsets` must be {(num, k, 2, height, width)}, got '
                         f'{tuple(offsets.shape)}')
    c = targets.neighbor_offsets.shape[2]
    if tuple(neighbor_offsets.shape) != (num, k, c, 2, height, width):
        raise ValueError(f'pip_loss: `neighbor_offsets` must be {(num, k, c, 2, height, width)}'
                         f' (C = {c} neighbours in the codec), got '
                         f'{tuple(neighbor_offsets.shape)}')
    for name, value in (('scores', scores), ('offsets', offsets),
                        ('neighbor_offsets', neighbor_offsets)):
        bad = ~torch.isfinite(value.detach()).reshape(num, k, -1).all(dim=-1).all(dim=0)
        if bad.any():
            raise ValueError(f'pip_loss: `{name}` has NaN / Inf values at landmarks '
                             f'{torch.nonzero(bad).flatten().tolist()}')


@MODELS.register_module()
class PIPLoss(nn.Module):
    r"""PIPNet's loss :math:`L = w_S L_S + \alpha L_O + \beta L_N` (:func:`pip_loss`).

    The paper sets :math:`\alpha = \beta` by the network stride: 0.02 / 0.1 / 0.125 / 0.25
    for stride 16 / 32 / 64 / 128 (``PIP_LOSS_WEIGHTS_BY_STRIDE``).

    Args:
        score_weight (float): :math:`w_S`. Defaults to 1.
        offset_weight (float): :math:`\alpha`. Defaults to 0.1 (stride 32).
        neighbor_weight (float): :math:`\beta`. Defaults to 0.1 (stride 32).

    Example:
        >>> import torch
        >>> from mmlaplace.codecs import PIPLabel
        >>> codec = PIPLabel(input_size=(64, 64), heatmap_size=(2, 2))
        >>> t = codec.assign_targets(torch.tensor([[[0.3, 0.6]]]), torch.ones(1, 1))
        >>> losses = PIPLoss()(t.scores, torch.zeros(1, 1, 2, 2, 2),
        ...                    torch.zeros(1, 1, 0, 2, 2, 2), t)
        >>> round(float(losses['loss_offset']), 4)  # 0.1 x 0.4
        0.04
    """

    def __init__(self, score_weight: float = 1.0, offset_weight: float = 0.1,
                 neighbor_weight: float = 0.1) -> None:
        super().__init__()
        for name, value in (('score_weight', score_weight), ('offset_weight', offset_weight),
                            ('neighbor_weight', neighbor_weight)):
            if not value >= 0:
                raise ValueError(f'PIPLoss: `{name}` must be >= 0, got {value}')
        self.score_weight = float(score_weight)
        self.offset_weight = float(offset_weight)
        self.neighbor_weight = float(neighbor_weight)

    def forward(self, scores: Tensor, offsets: Tensor, neighbor_offsets: Tensor,
                targets: PIPTargets) -> Dict[str, Tensor]:
        """Weighted terms ``loss_score``, ``loss_offset``, ``loss_neighbor`` (MMPose sums them)."""
        terms = pip_loss(scores, offsets, neighbor_offsets, targets)
        return dict(loss_score=self.score_weight * terms['score'],
                    loss_offset=self.offset_weight * terms['offset'],
                    loss_neighbor=self.neighbor_weight * terms['neighbor'])
