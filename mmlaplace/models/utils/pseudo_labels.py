r"""Self-training with curriculum (STC, PIPNet Sec. 3.3): the schedule and the selection.

PIPNet's STC trains on labeled faces first, then alternates rounds: pseudo-label the
unlabeled faces with the current model, train on labeled + pseudo-labeled faces, where the
pseudo-labeled ones go through a task that starts coarse and gets finer round by round
(*Task 1* -> *Task 2* -> *Task 3*, then *Task 3* again until convergence).

With a soft-argmax head the task's coarseness is the precision of the pseudo-label's target
distribution: LaplaceKL to :math:`\mathrm{Lap}(\hat y, b_0)` with a large :math:`b_0`
tolerates errors smaller than :math:`b_0` (like a coarse grid cell), and :math:`b_0 = 1` is
the labeled faces' task. :func:`curriculum_round` maps an iteration to its round and
:func:`select_pseudo_labels` keeps the landmarks the teacher is most sure of (its own
predicted Laplace scale).
"""
import numbers
from typing import Sequence

import torch
from torch import Tensor

__all__ = ['curriculum_round', 'curriculum_target_scale', 'select_pseudo_labels']


def curriculum_round(it: int, start_iter: int, round_iters: int) -> int:
    """The self-training round of iteration ``it``: -1 before ``start_iter``, then 0, 1, ...

    Args:
        it (int): The iteration (0-based).
        start_iter (int): The first iteration of round 0 (before it: labeled faces only).
        round_iters (int): Iterations per round (> 0).

    Example:
        >>> [curriculum_round(i, 4, 3) for i in (0, 3, 4, 6, 7, 10)]
        [-1, -1, 0, 0, 1, 2]
    """
    if it < start_iter:
        return -1
    return (it - start_iter) // round_iters


def curriculum_target_scale(round_index: int, target_scales: Sequence[float]) -> float:
    """The pseudo-labels' target scale :math:`b_0` in round ``round_index`` (>= 0).

    Round ``r`` uses ``target_scales[r]``; rounds past the list repeat its last value (the
    finest task, until the end of training).

    Example:
        >>> [curriculum_target_scale(r, (4.0, 2.0, 1.0)) for r in range(5)]
        [4.0, 2.0, 1.0, 1.0, 1.0]
    """
    if round_index < 0:
        raise ValueError(f'round_index must be >= 0, got {round_index}')
    return float(target_scales[min(round_index, len(target_scales) - 1)])


def select_pseudo_labels(scales: Tensor, valid: Tensor, keep_ratio: float) -> Tensor:
    """Weights (B, K) that keep the ``keep_ratio`` most confident valid pseudo-labels.

    A landmark is kept when it is valid and its teacher scale is at most the ``keep_ratio``
    quantile of the valid landmarks' scales in the batch (ties at the quantile are kept).

    Args:
        scales (Tensor): The teacher's scale per landmark (B, K) (e.g. the mean over the axes).
        valid (Tensor): (B, K) bool: the pseudo-label can be used (e.g. inside the crop).
        keep_ratio (float): In (0, 1]; 1 keeps every valid landmark.

    Returns:
        Tensor: (B, K) float weights in {0, 1}.

    Example:
        >>> s = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
        >>> select_pseudo_labels(s, torch.ones(1, 4, dtype=torch.bool), 0.5)
        tensor([[1., 1., 0., 0.]])
    """
    if not (isinstance(keep_ratio, numbers.Real) and 0 < keep_ratio <= 1):
        raise ValueError(f'keep_ratio must be in (0, 1], got {keep_ratio!r}')
    if scales.shape != valid.shape or scales.dim() != 2:
        raise ValueError(f'scales and valid must have the same shape (B, K), got '
                         f'{tuple(scales.shape)} and {tuple(valid.shape)}')
    valid = valid.bool() & torch.isfinite(scales)
    if keep_ratio >= 1 or not bool(valid.any()):
        return valid.to(scales.dtype)
    threshold = torch.quantile(scales[valid].float(), float(keep_ratio),
                               interpolation='lower')
    return (valid & (scales <= threshold)).to(scales.dtype)
