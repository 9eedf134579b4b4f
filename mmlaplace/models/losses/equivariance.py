r"""Equivariance loss (ELT, Honari et al., CVPR 2018) on soft-argmax landmarks; its Laplace form.

For an image :math:`I`, a transform :math:`T` (:mod:`mmlaplace.models.utils.similarity_warp`)
and a landmark model :math:`f`, the landmarks of the transformed image should be the
transformed landmarks: :math:`f(T(I)) = T(f(I))`. No label is needed, so the term trains on
unlabeled faces. Two forms, per landmark :math:`k`, points in input pixels:

- ``'distance'`` (Honari et al.): :math:`\|T(\mu_k) - \mu'_k\|_2`;
- ``'laplace_kl'`` (uncertainty-aware): :math:`\sum_a \mathrm{KL}(\mathrm{Lap}(T(\mu_k)_a,
  s\, b_{k,a}) \,\|\, \mathrm{Lap}(\mu'_{k,a}, b'_{k,a}))` with :math:`b, b'` the predicted
  Laplace scales of the two images and :math:`s` the transform's scale
  (:func:`~mmlaplace.models.utils.affine_scale`): a landmark with a wide prediction on the
  warped image pulls less (the distance is divided by :math:`b'`). Under a rotation the two
  axes mix; the per-axis scales are carried over unrotated (exact for isotropic scales).

Reduced by the weighted mean over landmarks, like the heatmap losses.
"""
from typing import Optional

import torch
from mmpose.registry import MODELS
from torch import Tensor, nn

from ..utils.similarity_warp import affine_scale, transform_points
from .functional import REDUCTIONS, laplace_kl

__all__ = ['equivariance_loss', 'EquivarianceLoss', 'EQUIVARIANCE_KINDS']

EQUIVARIANCE_KINDS = ('distance', 'laplace_kl')


def _check_finite(name: str, value: Tensor) -> None:
    if not torch.isfinite(value).all():
        bad = (~torch.isfinite(value)).reshape(value.shape[0], value.shape[1], -1).any(-1)
        landmarks = sorted({int(k) for k in bad.nonzero()[:, 1]})[:10]
        raise ValueError(f'equivariance_loss: {name} has NaN / Inf values (landmarks '
                         f'{landmarks})')


def equivariance_loss(points: Tensor, points_t: Tensor, matrices: Tensor,
                      weights: Optional[Tensor] = None, kind: str = 'distance',
                      scales: Optional[Tensor] = None, scales_t: Optional[Tensor] = None,
                      eps: float = 1e-6, reduction: str = 'mean') -> Tensor:
    r"""Equivariance error between the landmarks of ``T(I)`` and the ``T``-mapped ones of ``I``.

    Args:
        points (Tensor): Landmarks :math:`\mu` of the images, ``(B, K, 2)`` pixels.
        points_t (Tensor): Landmarks :math:`\mu'` of the transformed images, ``(B, K, 2)``.
        matrices (Tensor): The transforms :math:`T`, ``(B, 2, 3)`` (pixel coordinates).
        weights (Tensor, optional): ``(B, K)`` landmark weights (e.g. 0 where :math:`T(\mu)`
            left the crop). Defaults to all ones.
        kind (str): ``'distance'`` or ``'laplace_kl'`` (module docstring).
        scales (Tensor, optional): :math:`b` ``(B, K, 2)`` pixels; ``'laplace_kl'`` only.
        scales_t (Tensor, optional): :math:`b'` ``(B, K, 2)`` pixels; ``'laplace_kl'`` only.
        eps (float): Lower bound of the scales. Defaults to 1e-6.
        reduction (str): ``'mean'`` (weighted mean over landmarks) or ``'none'`` ``(B, K)``.

    Returns:
        Tensor: A scalar, or ``(B, K)`` with ``reduction='none'``.

    Example:
        >>> from mmlaplace.models.utils import sample_similarity, transform_points
        >>> A = sample_similarity(2, (80, 80))
        >>> mu = torch.rand(2, 68, 2) * 80
        >>> float(equivariance_loss(mu, transform_points(mu, A), A)) < 1e-4
        True
    """
    if kind not in EQUIVARIANCE_KINDS:
        raise ValueError(f'kind must be one of {EQUIVARIANCE_KINDS}, got {kind!r}')
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')
    if points.dim() != 3 or points.shape[-1] != 2 or points.shape != points_t.shape:
        raise ValueError(f'points and points_t must both have shape (B, K, 2), got '
                         f'{tuple(points.shape)} and {tuple(points_t.shape)}')
    _check_finite('points', points)
    _check_finite('points_t', points_t)
    target = transform_points(points, matrices)
    if kind == 'distance':
        loss = (target - points_t).pow(2).sum(-1).add(eps * eps).sqrt()
    else:
        if scales is None or scales_t is None:
            raise ValueError("kind='laplace_kl' needs scales and scales_t (B, K, 2)")
        if scales.shape != points.shape or scales_t.shape != points.shape:
            raise ValueError(f'scales must have the shape of points {tuple(points.shape)}, '
                             f'got {tuple(scales.shape)} and {tuple(scales_t.shape)}')
        _check_finite('scales', scales)
        _check_finite('scales_t', scales_t)
        s = affine_scale(matrices).to(scales.dtype)[:, None, None]
        loss = laplace_kl(target, (scales * s).clamp_min(eps), points_t,
                          scales_t.clamp_min(eps)).sum(-1)
    if weights is None:
        weights = torch.ones_like(loss)
    weights = weights.reshape(loss.shape).to(loss.dtype)
    if reduction == 'none':
        return loss * weights
    return (loss * weights).sum() / weights.sum().clamp_min(1.0)


@MODELS.register_module()
class EquivarianceLoss(nn.Module):
    """Module form of :func:`equivariance_loss` with a ``loss_weight``.

    Args:
        kind (str): ``'distance'`` or ``'laplace_kl'``. Defaults to ``'distance'``.
        loss_weight (float): Factor of the loss (>= 0). Defaults to 1.0.
        eps (float): Lower bound of the scales. Defaults to 1e-6.

    Example:
        >>> from mmlaplace.models.utils import sample_similarity, transform_points
        >>> A = sample_similarity(1, (80, 80))
        >>> mu = torch.rand(1, 5, 2) * 80
        >>> loss = EquivarianceLoss(loss_weight=0.5)(mu, transform_points(mu, A) + 1.0, A)
        >>> round(float(loss), 4)  # 0.5 x sqrt(2)
        0.7071
    """

    def __init__(self, kind: str = 'distance', loss_weight: float = 1.0,
                 eps: float = 1e-6) -> None:
        super().__init__()
        if kind not in EQUIVARIANCE_KINDS:
            raise ValueError(f'EquivarianceLoss: kind must be one of {EQUIVARIANCE_KINDS}, '
                             f'got {kind!r}')
        if not loss_weight >= 0:
            raise ValueError(f'EquivarianceLoss: loss_weight must be >= 0, got {loss_weight}')
        self.kind, self.loss_weight, self.eps = kind, float(loss_weight), eps

    def forward(self, points: Tensor, points_t: Tensor, matrices: Tensor,
                weights: Optional[Tensor] = None, scales: Optional[Tensor] = None,
                scales_t: Optional[Tensor] = None) -> Tensor:
        """See :func:`equivariance_loss`; returns ``loss_weight`` x the mean."""
        return self.loss_weight * equivariance_loss(points, points_t, matrices, weights,
                                                    self.kind, scales, scales_t, self.eps)

    def extra_repr(self) -> str:
        return f'kind={self.kind!r}, loss_weight={self.loss_weight}'
