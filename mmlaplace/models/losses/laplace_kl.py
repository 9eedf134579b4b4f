r"""LaplaceKL, GaussianKL and soft-argmax losses (Robinson et al., ICCV 2019, eqs. 1 and 3).

Pure functions with the closed forms, then thin loss modules registered in MMPose's ``MODELS``.
The modules take normalized heatmaps (see :func:`~mmlaplace.models.utils.normalize_heatmaps`),
reduce each map to its soft-argmax mean and scale per axis with
:func:`~mmlaplace.models.utils.heatmap_moments`, and compare them with the ground truth in
heatmap pixels (``x`` = column index, ``y`` = row index, as in ``heatmap_moments``). The KL of
the two axes is summed (the per-axis reading of the paper's scalar :math:`\tau`).
"""
from __future__ import annotations

from typing import Optional, Union

import torch
from mmpose.registry import MODELS
from torch import Tensor, nn

from ..utils.heatmap_stats import heatmap_moments

__all__ = [
    'laplace_kl', 'gaussian_kl', 'soft_argmax_distance', 'LaplaceKLLoss', 'GaussianKLLoss',
    'SoftArgmaxLoss'
]

_REDUCTIONS = ('mean', 'none')


def laplace_kl(mu_p: Tensor, b_p: Tensor, mu_q: Union[Tensor, float],
               b_q: Union[Tensor, float]) -> Tensor:
    r"""Elementwise KL divergence between two 1-D Laplace distributions.

    .. math::

        \mathrm{KL}\big(\mathrm{Lap}(\mu_p, b_p) \,\|\, \mathrm{Lap}(\mu_q, b_q)\big)
        = \log\frac{b_q}{b_p} + \frac{|\mu_p - \mu_q|}{b_q}
          + \frac{b_p}{b_q} \exp\Big(-\frac{|\mu_p - \mu_q|}{b_p}\Big) - 1

    It is >= 0 and 0 only for :math:`\mu_p = \mu_q, b_p = b_q`. The scales must be positive
    (not checked here; the loss modules clamp ``b_p`` from below).

    Args:
        mu_p: location of :math:`p`, any shape, e.g. :math:`(B, K, 2)`.
        b_p: scale of :math:`p` (> 0), broadcastable with ``mu_p``.
        mu_q: location of :math:`q`, broadcastable.
        b_q: scale of :math:`q` (> 0), broadcastable.

    Returns:
        The KL divergence, elementwise, with the broadcast shape of the inputs.

    Example:
        >>> kl = laplace_kl(torch.tensor(0.3), torch.tensor(0.5), 0.0, 1.0)
        >>> round(float(kl), 6)
        0.267553
    """
    diff = (mu_p - mu_q).abs()
    ratio = b_p / b_q
    return -torch.log(ratio) + diff / b_q + ratio * torch.exp(-diff / b_p) - 1


def gaussian_kl(mu_p: Tensor, var_p: Tensor, mu_q: Union[Tensor, float],
                var_q: Union[Tensor, float]) -> Tensor:
    r"""Elementwise KL divergence between two 1-D Gaussians, parameterized by their variances.

    .. math::

        \mathrm{KL}\big(\mathcal{N}(\mu_p, \sigma_p^2) \,\|\, \mathcal{N}(\mu_q, \sigma_q^2)\big)
        = \frac{1}{2}\log\frac{\sigma_q^2}{\sigma_p^2}
          + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2\sigma_q^2} - \frac{1}{2}

    (the paper's :math:`\log(s_2/s_1) + (s_1^2 + (m_1 - m_2)^2)/(2 s_2^2) - 1/2` with
    :math:`s = \sigma`). Note the arguments are **variances**: a target :math:`\sigma = 1` means
    ``var_q = 1``.

    Args:
        mu_p: mean of :math:`p`, any shape, e.g. :math:`(B, K, 2)`.
        var_p: variance of :math:`p` (> 0), broadcastable with ``mu_p``.
        mu_q: mean of :math:`q`, broadcastable.
        var_q: variance of :math:`q` (> 0), broadcastable.

    Returns:
        The KL divergence, elementwise, with the broadcast shape of the inputs.

    Example:
        >>> kl = gaussian_kl(torch.tensor(0.0), torch.tensor(4.0), 0.0, 1.0)
        >>> round(float(kl), 6)  # 0.5 * log(1 / 4) + 4 / 2 - 1 / 2
        0.806853
    """
    ratio = var_p / var_q
    return 0.5 * (ratio - torch.log(ratio) + (mu_p - mu_q).square() / var_q - 1)


def soft_argmax_distance(mu: Tensor, target: Tensor) -> Tensor:
    r"""Euclidean distance between predicted and target landmarks (the paper's eq. 1 term).

    .. math::

        d_k = \lVert \mu_k - s_k \rVert_2

    Its gradient at zero distance is 0 (no NaN).

    Args:
        mu: predicted ``(x, y)``, shape :math:`(B, K, 2)`.
        target: ground truth ``(x, y)``, shape :math:`(B, K, 2)`.

    Returns:
        Distances of shape :math:`(B, K)`.

    Example:
        >>> mu = torch.tensor([[[3.0, 4.0]]])
        >>> soft_argmax_distance(mu, torch.zeros(1, 1, 2))
        tensor([[5.]])
    """
    return torch.linalg.vector_norm(mu - target, dim=-1)

def _positive_scale(name: str, target_scale: float) -> float:
    """Validate a KL loss's target scale (b0 or sigma0, heatmap pixels)."""
    if not target_scale > 0:
        raise ValueError(f'{name}: `target_scale` must be positive, got {target_scale!r}')
    return float(target_scale)


class _HeatmapMomentLoss(nn.Module):
    """Shared input checks, float32 computation and landmark weighting of the moment losses.

    Subclasses implement :meth:`_per_landmark`, mapping the moments of the heatmaps and the
    target to a per-landmark loss of shape ``(B, K)``.

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

    def __init__(self,
                 use_target_weight: bool = True,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean',
                 eps: float = 1e-6) -> None:
        super().__init__()
        name = type(self).__name__
        if reduction not in _REDUCTIONS:
            raise ValueError(f'{name}: `reduction` must be one of {_REDUCTIONS}, '
                             f'got {reduction!r}')
        if not eps > 0:
            raise ValueError(f'{name}: `eps` must be positive, got {eps!r}')
        self.use_target_weight = use_target_weight
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.eps = eps

    def _per_landmark(self, mu: Tensor, b: Tensor, var: Tensor, target: Tensor) -> Tensor:
        """Return the loss per landmark, shape ``(B, K)``, from ``(B, K, 2)`` moments."""
        raise NotImplementedError

    def _check_inputs(self, heatmaps: Tensor, target: Tensor,
                      target_weight: Optional[Tensor]) -> Optional[Tensor]:
        """Validate shapes and return ``target_weight`` as ``(B, K)`` (or None)."""
        name = type(self).__name__
        if not isinstance(heatmaps, Tensor) or heatmaps.dim() != 4:
            raise ValueError(f'{name}: `heatmaps` must be a tensor of shape (B, K, H, W), got '
                             f'{getattr(heatmaps, "shape", type(heatmaps))}')
        batch, num_k = heatmaps.shape[:2]
        if not isinstance(target, Tensor) or tuple(target.shape) != (batch, num_k, 2):
            raise ValueError(f'{name}: `target` must be a tensor of shape (B, K, 2) = '
                             f'({batch}, {num_k}, 2) to match `heatmaps` '
                             f'{tuple(heatmaps.shape)}, got '
                             f'{getattr(target, "shape", type(target))}')
        if target_weight is None:
            return None
        if (not isinstance(target_weight, Tensor)
                or tuple(target_weight.shape) not in ((batch, num_k), (batch, num_k, 1))):
            raise ValueError(f'{name}: `target_weight` must be a tensor of shape (B, K) or '
                             f'(B, K, 1) with (B, K) = ({batch}, {num_k}), got '
                             f'{getattr(target_weight, "shape", type(target_weight))}')
        return target_weight.reshape(batch, num_k)

    def forward(self,
                heatmaps: Tensor,
                target: Tensor,
                target_weight: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            heatmaps: normalized heatmaps (each map sums to 1), shape :math:`(B, K, H, W)`.
            target: ground-truth ``(x, y)`` in heatmap pixels (``x`` = column index), shape
                :math:`(B, K, 2)`. Non-finite values are allowed at landmarks of weight 0
                (they are replaced by 0, which only shows with ``reduction='none'``).
            target_weight: landmark weights, shape :math:`(B, K)` or :math:`(B, K, 1)`, or
                None for all ones. Ignored when ``use_target_weight`` is False.

        Returns:
            A float32 scalar (``reduction='mean'``) or a :math:`(B, K)` tensor
            (``reduction='none'``); float64 inputs give float64.

        Raises:
            ValueError: for badly shaped inputs, non-finite heatmaps, or non-finite targets at
                landmarks of positive weight.
        """
        name = type(self).__name__
        weight = self._check_inputs(heatmaps, target, target_weight)
        with torch.autocast(device_type=heatmaps.device.type, enabled=False):
            dtype = torch.float64 if heatmaps.dtype == torch.float64 else torch.float32
            heatmaps = heatmaps.to(dtype)
            target = target.to(dtype)
            if weight is None or not self.use_target_weight:
                weight = torch.ones(heatmaps.shape[:2], dtype=dtype, device=heatmaps.device)
            else:
                weight = weight.to(dtype)

            mu, b, var = heatmap_moments(heatmaps, eps=self.eps)
            # A NaN/Inf anywhere in a heatmap makes its moments non-finite (NaN and Inf
            # propagate through the marginal sums): checking the (B, K, 2) moments instead of
            # the (B, K, H, W) maps is exact for finite maps and ~8% of a training step cheaper.
            bad_heatmap = ~(torch.isfinite(mu) & torch.isfinite(b) & torch.isfinite(var)).all(-1)
            finite_target = torch.isfinite(target).all(dim=-1)
            bad_target = ~finite_target & (weight != 0)
            if bool((bad_heatmap | bad_target).any()):  # one host sync for both checks
                if bool(bad_heatmap.any()):
                    landmarks = torch.nonzero(bad_heatmap.any(dim=0)).flatten().tolist()
                    raise ValueError(f'{name}: heatmaps contain NaN/Inf values at landmarks '
                                     f'{landmarks}')
                landmarks = torch.nonzero(bad_target.any(dim=0)).flatten().tolist()
                raise ValueError(f'{name}: target contains NaN/Inf values at landmarks '
                                 f'{landmarks} whose target_weight is not 0')
            # Non-finite targets of zero-weight landmarks: replace them so that neither the
            # loss nor its gradient picks up a NaN (0 * NaN = NaN).
            target = torch.where(finite_target.unsqueeze(-1), target, torch.zeros_like(target))
            losses = self._per_landmark(mu, b, var, target)
            if self.reduction == 'none':
                return losses * self.loss_weight
            total_weight = weight.sum()
            loss = (losses * weight).sum() / total_weight.clamp(min=self.eps)
            # All weights 0: return 0, still attached to the graph with a finite gradient.
            loss = torch.where(total_weight > 0, loss, 0 * heatmaps.sum())
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
    truth in heatmap pixels (see :func:`laplace_kl`).

    Args:
        target_scale: :math:`b_0`, the Laplace scale of the target in heatmap pixels (1 in the
            paper); > 0.
        use_target_weight: weight the landmarks by ``target_weight``.
        loss_weight: factor applied to the loss.
        eps: lower bound of the heatmap scale :math:`b` (a one-hot map has :math:`b = 0`).
        reduction: ``'mean'`` (weighted mean over landmarks) or ``'none'`` (``(B, K)``).

    Example:
        >>> from mmlaplace.models.utils import render_target_heatmaps
        >>> target = torch.tensor([[[20.0, 30.0]]])
        >>> heatmaps = render_target_heatmaps(target, (64, 64), scale=1.0)
        >>> loss = LaplaceKLLoss()(heatmaps, target)
        >>> bool(loss < 1e-2)
        True
    """

    def __init__(self,
                 target_scale: float = 1.0,
                 use_target_weight: bool = True,
                 loss_weight: float = 1.0,
                 eps: float = 1e-6,
                 reduction: str = 'mean') -> None:
        super().__init__(use_target_weight, loss_weight, reduction, eps)
        self.target_scale = _positive_scale(type(self).__name__, target_scale)

    def _per_landmark(self, mu: Tensor, b: Tensor, var: Tensor, target: Tensor) -> Tensor:
        return laplace_kl(mu, b, target, self.target_scale).sum(dim=-1)

    def extra_repr(self) -> str:
        return f'target_scale={self.target_scale}, ' + super().extra_repr()


@MODELS.register_module()
class GaussianKLLoss(_HeatmapMomentLoss):
    r"""GaussianKL loss (the paper's alternative to LaplaceKL).

    Per landmark, summed over the axes:
    :math:`\sum_a \mathrm{KL}(\mathcal{N}(\mu_a, \sigma_a^2) \,\|\, \mathcal{N}(s_a, \sigma_0^2))`
    with the heatmap variance :math:`\sigma_a^2` from
    :func:`~mmlaplace.models.utils.heatmap_moments` (see :func:`gaussian_kl`).

    Args:
        target_scale: :math:`\sigma_0`, the target standard deviation in heatmap pixels (1 in
            the paper), so the target variance is ``target_scale ** 2``; > 0.
        use_target_weight: weight the landmarks by ``target_weight``.
        loss_weight: factor applied to the loss.
        eps: lower bound of the heatmap variance.
        reduction: ``'mean'`` (weighted mean over landmarks) or ``'none'`` (``(B, K)``).

    Example:
        >>> from mmlaplace.models.utils import render_target_heatmaps
        >>> target = torch.tensor([[[20.0, 30.0]]])
        >>> heatmaps = render_target_heatmaps(target, (64, 64), 1.0, kind='gaussian')
        >>> loss = GaussianKLLoss()(heatmaps, target)
        >>> bool(loss < 1e-4)
        True
    """

    def __init__(self,
                 target_scale: float = 1.0,
                 use_target_weight: bool = True,
                 loss_weight: float = 1.0,
                 eps: float = 1e-6,
                 reduction: str = 'mean') -> None:
        super().__init__(use_target_weight, loss_weight, reduction, eps)
        self.target_scale = _positive_scale(type(self).__name__, target_scale)

    def _per_landmark(self, mu: Tensor, b: Tensor, var: Tensor, target: Tensor) -> Tensor:
        return gaussian_kl(mu, var, target, self.target_scale**2).sum(dim=-1)

    def extra_repr(self) -> str:
        return f'target_scale={self.target_scale}, ' + super().extra_repr()


@MODELS.register_module()
class SoftArgmaxLoss(_HeatmapMomentLoss):
    r"""Soft-argmax baseline :math:`L_{SAM}` (the paper's eq. 1): :math:`\lVert\mu_k - s_k\rVert_2`.

    Args:
        use_target_weight: weight the landmarks by ``target_weight``.
        loss_weight: factor applied to the loss.
        reduction: ``'mean'`` (weighted mean over landmarks) or ``'none'`` (``(B, K)``).

    Example:
        >>> heatmaps = torch.zeros(1, 1, 8, 8)
        >>> heatmaps[0, 0, 4, 3] = 1.0  # x = 3, y = 4
        >>> SoftArgmaxLoss()(heatmaps, torch.tensor([[[0.0, 0.0]]]))
        tensor(5.)
    """

    def __init__(self,
                 use_target_weight: bool = True,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__(use_target_weight, loss_weight, reduction)

    def _per_landmark(self, mu: Tensor, b: Tensor, var: Tensor, target: Tensor) -> Tensor:
        return soft_argmax_distance(mu, target)
