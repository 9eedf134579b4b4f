r"""LaplaceKL, GaussianKL and soft-argmax loss modules (Robinson et al., ICCV 2019, eqs. 1, 3).

Thin modules, registered in MMPose's ``MODELS``, over the functional forms of
:mod:`mmlaplace.models.losses.functional` (:func:`laplace_kl_loss`, :func:`gaussian_kl_loss`,
:func:`soft_argmax_loss`: the input checks, the math and the reduction live there). The
modules take normalized heatmaps (see :func:`~mmlaplace.models.utils.normalize_heatmaps`),
reduce each map to its soft-argmax mean and scale per axis with
:func:`~mmlaplace.models.utils.heatmap_moments`, and compare them with the ground truth in
heatmap pixels (``x`` = column index, ``y`` = row index, as in ``heatmap_moments``). The KL of
the two axes is summed (the per-axis reading of the paper's scalar :math:`\tau`). A module
adds ``loss_weight`` and names itself in the error messages.

The elementwise closed forms :func:`laplace_kl`, :func:`gaussian_kl` and
:func:`soft_argmax_distance` are defined in :mod:`~mmlaplace.models.losses.functional` and
re-exported here.
"""
from __future__ import annotations

from typing import Optional

from mmpose.registry import MODELS
from torch import Tensor, nn

from .functional import (
    _check_eps,
    _check_reduction,
    _check_target_scale,
    _heatmap_moment_loss,
    gaussian_kl,
    laplace_kl,
    soft_argmax_distance,
)

__all__ = [
    'laplace_kl', 'gaussian_kl', 'soft_argmax_distance', 'LaplaceKLLoss', 'GaussianKLLoss',
    'SoftArgmaxLoss'
]


class _HeatmapMomentLoss(nn.Module):
    """Shared arguments of the moment losses; ``forward`` calls their functional form.

    Subclasses set ``_kind`` (``'laplace'``, ``'gaussian'`` or ``'soft_argmax'``, see
    :func:`~mmlaplace.models.losses.functional.laplace_kl_loss` and its siblings).

    Args:
        use_target_weight: weight the landmarks by ``target_weight`` (e.g. visibility).
        loss_weight: factor applied to the returned loss.
        reduction: ``'mean'`` for the weighted mean over landmarks, ``sum(w * l) / sum(w)``
            (0, still attached to the graph, when all weights are 0), or ``'none'`` for the
            per-landmark losses ``(B, K)`` times ``loss_weight``, without target weights.
        eps: lower bound of the heatmap scales ``b`` and ``var`` (see ``heatmap_moments``).
    """

    #: tells :class:`SoftArgmaxHead` to pass heatmaps and targets in heatmap pixels
    takes_heatmaps = True
    _kind = ''

    def __init__(self,
                 use_target_weight: bool = True,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean',
                 eps: float = 1e-6) -> None:
        super().__init__()
        name = type(self).__name__
        _check_reduction(name, reduction)
        _check_eps(name, eps)
        self.use_target_weight = use_target_weight
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.eps = eps

    def forward(self,
                heatmaps: Tensor,
                target: Tensor,
                target_weight: Optional[Tensor] = None) -> Tensor:
        """Compute the loss (see :func:`~mmlaplace.models.losses.functional.laplace_kl_loss`).

        Args:
            heatmaps: normalized heatmaps (each map sums to 1), shape :math:`(B, K, H, W)`.
            target: ground-truth ``(x, y)`` in heatmap pixels (``x`` = column index), shape
                :math:`(B, K, 2)`. Non-finite values are allowed at landmarks of weight 0
                (they are replaced by 0, which only shows with ``reduction='none'``).
            target_weight: landmark weights, shape :math:`(B, K)` or :math:`(B, K, 1)`, or
                None for all ones. Ignored when ``use_target_weight`` is False.

        Returns:
            A float32 scalar (``reduction='mean'``) or a :math:`(B, K)` tensor
            (``reduction='none'``), times ``loss_weight``; float64 inputs give float64.

        Raises:
            TypeError: if an input is not a real tensor.
            ValueError: for badly shaped inputs, non-finite heatmaps, non-finite targets at
                landmarks of positive weight, or negative / non-finite weights.
        """
        loss = _heatmap_moment_loss(self._kind, heatmaps, target, target_weight,
                                    getattr(self, 'target_scale', 1.0), self.use_target_weight,
                                    self.reduction, self.eps, name=type(self).__name__)
        return loss * self.loss_weight

    def extra_repr(self) -> str:
        return (f'use_target_weight={self.use_target_weight}, loss_weight={self.loss_weight}, '
                f'reduction={self.reduction!r}')


@MODELS.register_module()
class LaplaceKLLoss(_HeatmapMomentLoss):
    r"""LaplaceKL loss (the paper's eq. 3): KL from each heatmap's Laplace to the target's.

    Per landmark, summed over the axes :math:`a \in \{x, y\}`:
    :math:`\sum_a \mathrm{KL}(\mathrm{Lap}(\mu_a, b_a) \,\|\, \mathrm{Lap}(s_a, b_0))`, with
    :math:`\mu, b` from :func:`~mmlaplace.models.utils.heatmap_moments` and :math:`s` the ground
    truth in heatmap pixels (see :func:`laplace_kl`); the weighted mean over the landmarks
    :math:`\sum_k w_k \ell_k / \sum_k w_k` times ``loss_weight``. Functional form:
    :func:`~mmlaplace.models.losses.functional.laplace_kl_loss`.

    Shapes: ``heatmaps`` :math:`(B, K, H, W)`, ``target`` :math:`(B, K, 2)`, ``target_weight``
    :math:`(B, K)` or :math:`(B, K, 1)`; the loss is a scalar, or :math:`(B, K)` with
    ``reduction='none'``.

    Args:
        target_scale: :math:`b_0`, the Laplace scale of the target in heatmap pixels (1 in the
            paper); > 0.
        use_target_weight: weight the landmarks by ``target_weight``.
        loss_weight: factor applied to the loss.
        eps: lower bound of the heatmap scale :math:`b` (a one-hot map has :math:`b = 0`).
        reduction: ``'mean'`` (weighted mean over landmarks) or ``'none'`` (``(B, K)``).

    Example:
        >>> import torch
        >>> from mmlaplace.models.utils import render_target_heatmaps
        >>> target = torch.tensor([[[20.0, 30.0]]])
        >>> heatmaps = render_target_heatmaps(target, (64, 64), scale=1.0)
        >>> loss = LaplaceKLLoss()(heatmaps, target)
        >>> bool(loss < 1e-2)
        True
    """

    _kind = 'laplace'

    def __init__(self,
                 target_scale: float = 1.0,
                 use_target_weight: bool = True,
                 loss_weight: float = 1.0,
                 eps: float = 1e-6,
                 reduction: str = 'mean') -> None:
        super().__init__(use_target_weight, loss_weight, reduction, eps)
        self.target_scale = _check_target_scale(type(self).__name__, target_scale)

    def extra_repr(self) -> str:
        return f'target_scale={self.target_scale}, ' + super().extra_repr()


@MODELS.register_module()
class GaussianKLLoss(_HeatmapMomentLoss):
    r"""GaussianKL loss (the paper's alternative to LaplaceKL).

    Per landmark, summed over the axes:
    :math:`\sum_a \mathrm{KL}(\mathcal{N}(\mu_a, \sigma_a^2) \,\|\, \mathcal{N}(s_a, \sigma_0^2))`
    with the heatmap variance :math:`\sigma_a^2` from
    :func:`~mmlaplace.models.utils.heatmap_moments` (see :func:`gaussian_kl`); reduced as
    :class:`LaplaceKLLoss`. Functional form:
    :func:`~mmlaplace.models.losses.functional.gaussian_kl_loss`.

    Shapes: ``heatmaps`` :math:`(B, K, H, W)`, ``target`` :math:`(B, K, 2)`, ``target_weight``
    :math:`(B, K)` or :math:`(B, K, 1)`.

    Args:
        target_scale: :math:`\sigma_0`, the target standard deviation in heatmap pixels (1 in
            the paper), so the target variance is ``target_scale ** 2``; > 0.
        use_target_weight: weight the landmarks by ``target_weight``.
        loss_weight: factor applied to the loss.
        eps: lower bound of the heatmap variance.
        reduction: ``'mean'`` (weighted mean over landmarks) or ``'none'`` (``(B, K)``).

    Example:
        >>> import torch
        >>> from mmlaplace.models.utils import render_target_heatmaps
        >>> target = torch.tensor([[[20.0, 30.0]]])
        >>> heatmaps = render_target_heatmaps(target, (64, 64), 1.0, kind='gaussian')
        >>> loss = GaussianKLLoss()(heatmaps, target)
        >>> bool(loss < 1e-4)
        True
    """

    _kind = 'gaussian'

    def __init__(self,
                 target_scale: float = 1.0,
                 use_target_weight: bool = True,
                 loss_weight: float = 1.0,
                 eps: float = 1e-6,
                 reduction: str = 'mean') -> None:
        super().__init__(use_target_weight, loss_weight, reduction, eps)
        self.target_scale = _check_target_scale(type(self).__name__, target_scale)

    def extra_repr(self) -> str:
        return f'target_scale={self.target_scale}, ' + super().extra_repr()


@MODELS.register_module()
class SoftArgmaxLoss(_HeatmapMomentLoss):
    r"""Soft-argmax baseline :math:`L_{SAM}` (the paper's eq. 1): :math:`\lVert\mu_k - s_k\rVert_2`.

    :math:`\mu_k` is the soft-argmax mean of heatmap :math:`k`; reduced as
    :class:`LaplaceKLLoss`. Functional form:
    :func:`~mmlaplace.models.losses.functional.soft_argmax_loss`.

    Shapes: ``heatmaps`` :math:`(B, K, H, W)`, ``target`` :math:`(B, K, 2)`, ``target_weight``
    :math:`(B, K)` or :math:`(B, K, 1)`.

    Args:
        use_target_weight: weight the landmarks by ``target_weight``.
        loss_weight: factor applied to the loss.
        reduction: ``'mean'`` (weighted mean over landmarks) or ``'none'`` (``(B, K)``).

    Example:
        >>> import torch
        >>> heatmaps = torch.zeros(1, 1, 8, 8)
        >>> heatmaps[0, 0, 4, 3] = 1.0  # x = 3, y = 4
        >>> SoftArgmaxLoss()(heatmaps, torch.tensor([[[0.0, 0.0]]]))
        tensor(5.)
    """

    _kind = 'soft_argmax'

    def __init__(self,
                 use_target_weight: bool = True,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__(use_target_weight, loss_weight, reduction)
