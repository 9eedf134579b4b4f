r"""Functional forms of the heatmap losses (as in ``kornia.losses``): checks, math, reduction.

Two layers:

- elementwise closed forms of the paper's divergences (Robinson et al., ICCV 2019, eqs. 1
  and 3): :func:`laplace_kl`, :func:`gaussian_kl` and :func:`soft_argmax_distance`;
- the losses on heatmaps: :func:`laplace_kl_loss`, :func:`gaussian_kl_loss` and
  :func:`soft_argmax_loss`. Each validates its inputs, reduces every normalized heatmap
  :math:`(B, K, H, W)` to its soft-argmax mean :math:`\mu`, Laplace scale :math:`b` and
  variance :math:`\sigma^2` per axis with :func:`~mmlaplace.models.utils.heatmap_moments`,
  compares them with the ground truth :math:`s` of shape :math:`(B, K, 2)` in heatmap pixels
  (``x`` = column index, ``y`` = row index) and reduces over the landmarks. The KL of the two
  axes is summed (the per-axis reading of the paper's scalar :math:`\tau`).

The registered modules :class:`~mmlaplace.models.losses.LaplaceKLLoss`,
:class:`~mmlaplace.models.losses.GaussianKLLoss` and
:class:`~mmlaplace.models.losses.SoftArgmaxLoss` are thin wrappers over these functions
(they add ``loss_weight`` and name themselves in the error messages).
"""
from __future__ import annotations

import math
import numbers
from typing import Optional, Union

import torch
from torch import Tensor

from ..utils.heatmap_stats import heatmap_moments

__all__ = [
    'laplace_kl', 'gaussian_kl', 'soft_argmax_distance', 'laplace_kl_loss', 'gaussian_kl_loss',
    'soft_argmax_loss'
]

#: accepted values of ``reduction``
REDUCTIONS = ('mean', 'none')
_KINDS = ('laplace', 'gaussian', 'soft_argmax')


# ----------------------------------------------------------------------------- closed forms
def laplace_kl(mu_p: Tensor, b_p: Tensor, mu_q: Union[Tensor, float],
               b_q: Union[Tensor, float]) -> Tensor:
    r"""Elementwise KL divergence between two 1-D Laplace distributions.

    .. math::

        \mathrm{KL}\big(\mathrm{Lap}(\mu_p, b_p) \,\|\, \mathrm{Lap}(\mu_q, b_q)\big)
        = \log\frac{b_q}{b_p} + \frac{|\mu_p - \mu_q|}{b_q}
          + \frac{b_p}{b_q} \exp\Big(-\frac{|\mu_p - \mu_q|}{b_p}\Big) - 1

    It is >= 0 and 0 only for :math:`\mu_p = \mu_q, b_p = b_q`. The scales must be positive
    (not checked here; :func:`laplace_kl_loss` clamps ``b_p`` from below).

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


# ------------------------------------------------------------------------- argument checks
def _check_reduction(name: str, reduction: str) -> str:
    """Return ``reduction`` if it is one of :data:`REDUCTIONS`, else raise ValueError."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f'{name}: `reduction` must be one of {REDUCTIONS}, got {reduction!r}')
    return reduction


def _positive_number(name: str, arg: str, value) -> float:
    """``value`` as a float if it is a finite number > 0 (TypeError / ValueError otherwise)."""
    if isinstance(value, Tensor) and value.numel() == 1 and not value.is_complex():
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f'{name}: `{arg}` must be a number, got {type(value).__name__} '
                        f'{value!r}')
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f'{name}: `{arg}` must be positive and finite, got {value!r}')
    return float(value)


def _check_target_scale(name: str, target_scale) -> float:
    """Validate a KL loss's target scale (b0 or sigma0, heatmap pixels)."""
    return _positive_number(name, 'target_scale', target_scale)


def _check_eps(name: str, eps) -> float:
    """Validate the lower bound ``eps`` of the heatmap scales."""
    return _positive_number(name, 'eps', eps)


def _check_tensor(name: str, arg: str, value, expected: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f'{name}: `{arg}` must be a torch.Tensor of shape {expected}, got '
                        f'{type(value).__name__}')
    if value.is_complex():
        raise TypeError(f'{name}: `{arg}` must have a real dtype, got {value.dtype}')
    return value


def _check_inputs(name: str, heatmaps: Tensor, target: Tensor,
                  target_weight: Optional[Tensor]) -> Optional[Tensor]:
    """Validate types, shapes and devices; return ``target_weight`` as ``(B, K)`` (or None)."""
    _check_tensor(name, 'heatmaps', heatmaps, '(B, K, H, W)')
    if heatmaps.dim() != 4:
        raise ValueError(f'{name}: `heatmaps` must be a tensor of shape (B, K, H, W), got '
                         f'{heatmaps.shape}')
    batch, num_k, height, width = heatmaps.shape
    if height == 0 or width == 0:
        raise ValueError(f'{name}: `heatmaps` must have H, W >= 1, got shape '
                         f'{tuple(heatmaps.shape)}')
    _check_tensor(name, 'target', target, '(B, K, 2)')
    if tuple(target.shape) != (batch, num_k, 2):
        raise ValueError(f'{name}: `target` must be a tensor of shape (B, K, 2) = '
                         f'({batch}, {num_k}, 2) to match `heatmaps` '
                         f'{tuple(heatmaps.shape)}, got {target.shape}')
    if target.device != heatmaps.device:
        raise ValueError(f'{name}: `target` is on {target.device} but `heatmaps` on '
                         f'{heatmaps.device}')
    if target_weight is None:
        return None
    _check_tensor(name, 'target_weight', target_weight, '(B, K) or (B, K, 1)')
    if tuple(target_weight.shape) not in ((batch, num_k), (batch, num_k, 1)):
        raise ValueError(f'{name}: `target_weight` must be a tensor of shape (B, K) or '
                         f'(B, K, 1) with (B, K) = ({batch}, {num_k}), got '
                         f'{target_weight.shape}')
    if target_weight.device != heatmaps.device:
        raise ValueError(f'{name}: `target_weight` is on {target_weight.device} but '
                         f'`heatmaps` on {heatmaps.device}')
    return target_weight.reshape(batch, num_k)


def _landmarks(mask: Tensor) -> list:
    return torch.nonzero(mask.any(dim=0)).flatten().tolist()


# ----------------------------------------------------------------------------------- losses
def _heatmap_moment_loss(kind: str,
                        heatmaps: Tensor,
                        target: Tensor,
                        target_weight: Optional[Tensor] = None,
                        target_scale: float = 1.0,
                        use_target_weight: bool = True,
                        reduction: str = 'mean',
                        eps: float = 1e-6,
                        name: Optional[str] = None) -> Tensor:
    """Implementation of the three losses (``kind`` one of ``'laplace'``, ``'gaussian'``,
    ``'soft_argmax'``); ``name`` prefixes the error messages (the function's or the module's).

    See :func:`laplace_kl_loss` for the arguments, checks and reduction.
    """
    if kind not in _KINDS:
        raise ValueError(f'heatmap_moment_loss: `kind` must be one of {_KINDS}, got {kind!r}')
    if name is None:
        name = 'soft_argmax_loss' if kind == 'soft_argmax' else f'{kind}_kl_loss'
    _check_reduction(name, reduction)
    eps = _check_eps(name, eps)
    if kind != 'soft_argmax':
        target_scale = _check_target_scale(name, target_scale)
    weight = _check_inputs(name, heatmaps, target, target_weight)
    with torch.autocast(device_type=heatmaps.device.type, enabled=False):
        dtype = torch.float64 if heatmaps.dtype == torch.float64 else torch.float32
        heatmaps = heatmaps.to(dtype)
        target = target.to(dtype)
        if weight is None or not use_target_weight:
            weight = torch.ones(heatmaps.shape[:2], dtype=dtype, device=heatmaps.device)
            bad_weight = None
        else:
            weight = weight.to(dtype)
            bad_weight = ~torch.isfinite(weight) | (weight < 0)

        mu, b, var = heatmap_moments(heatmaps, eps=eps)
        # A NaN/Inf anywhere in a heatmap makes its moments non-finite (NaN and Inf propagate
        # through the marginal sums): checking the (B, K, 2) moments instead of the
        # (B, K, H, W) maps is exact for finite maps and ~8% of a training step cheaper.
        bad_heatmap = ~(torch.isfinite(mu) & torch.isfinite(b) & torch.isfinite(var)).all(-1)
        finite_target = torch.isfinite(target).all(dim=-1)
        bad_target = ~finite_target & (weight != 0)
        bad = bad_heatmap | bad_target
        if bad_weight is not None:
            bad = bad | bad_weight
        if bool(bad.any()):  # one host sync for all the value checks
            if bool(bad_heatmap.any()):
                raise ValueError(f'{name}: heatmaps contain NaN/Inf values at landmarks '
                                 f'{_landmarks(bad_heatmap)}')
            if bool(bad_target.any()):
                raise ValueError(f'{name}: target contains NaN/Inf values at landmarks '
                                 f'{_landmarks(bad_target)} whose target_weight is not 0')
            raise ValueError(f'{name}: target_weight is negative or NaN/Inf at landmarks '
                             f'{_landmarks(bad_weight)}')
        # Non-finite targets of zero-weight landmarks: replace them so that neither the loss
        # nor its gradient picks up a NaN (0 * NaN = NaN).
        target = torch.where(finite_target.unsqueeze(-1), target, torch.zeros_like(target))
        if kind == 'laplace':
            losses = laplace_kl(mu, b, target, target_scale).sum(dim=-1)
        elif kind == 'gaussian':
            losses = gaussian_kl(mu, var, target, target_scale**2).sum(dim=-1)
        else:
            losses = soft_argmax_distance(mu, target)
        if reduction == 'none':
            return losses
        total_weight = weight.sum()
        loss = (losses * weight).sum() / total_weight.clamp(min=eps)
        # All weights 0: return 0, still attached to the graph with a finite gradient.
        return torch.where(total_weight > 0, loss, 0 * heatmaps.sum())


def laplace_kl_loss(heatmaps: Tensor,
                    target: Tensor,
                    target_weight: Optional[Tensor] = None,
                    *,
                    target_scale: float = 1.0,
                    use_target_weight: bool = True,
                    reduction: str = 'mean',
                    eps: float = 1e-6) -> Tensor:
    r"""LaplaceKL loss (the paper's eq. 3): KL from each heatmap's Laplace to the target's.

    Per landmark :math:`k`, summed over the axes :math:`a \in \{x, y\}`:

    .. math::

        \ell_k = \sum_a \mathrm{KL}\big(\mathrm{Lap}(\mu_{k,a}, b_{k,a}) \,\|\,
                 \mathrm{Lap}(s_{k,a}, b_0)\big), \qquad
        L = \frac{\sum_{k} w_k\, \ell_k}{\sum_{k} w_k}

    (the sum over the batch too) with :math:`\mu, b` from
    :func:`~mmlaplace.models.utils.heatmap_moments`, :math:`s` the ground truth in heatmap
    pixels, :math:`b_0` = ``target_scale`` and :math:`w` = ``target_weight`` (see
    :func:`laplace_kl` for the closed form of the KL).

    Computed in float32 also under autocast (float64 inputs stay float64); integer or bool
    inputs are converted. Non-finite targets are allowed at landmarks of weight 0 (they are
    replaced by 0, which only shows with ``reduction='none'``).

    Args:
        heatmaps: normalized heatmaps (each map sums to 1, e.g. from
            :func:`~mmlaplace.models.utils.normalize_heatmaps`), shape :math:`(B, K, H, W)`.
        target: ground-truth ``(x, y)`` in heatmap pixels (``x`` = column index), shape
            :math:`(B, K, 2)`.
        target_weight: landmark weights (e.g. visibility), finite and >= 0, shape
            :math:`(B, K)` or :math:`(B, K, 1)`; None for all ones.
        target_scale: :math:`b_0`, the Laplace scale of the target in heatmap pixels (1 in the
            paper); finite and > 0.
        use_target_weight: if False, ``target_weight`` is ignored (its shape is still checked).
        reduction: ``'mean'`` for the weighted mean over the landmarks above (0, still attached
            to the graph, when all weights are 0) or ``'none'`` for the per-landmark losses
            :math:`(B, K)`, without the weights.
        eps: lower bound of the heatmap scale :math:`b` (a one-hot map has :math:`b = 0`);
            also bounds the denominator of the mean.

    Returns:
        A scalar (``reduction='mean'``) or a :math:`(B, K)` tensor (``reduction='none'``),
        float32 (float64 for float64 heatmaps).

    Raises:
        TypeError: if ``heatmaps``, ``target`` or ``target_weight`` is not a real tensor, or
            ``target_scale`` / ``eps`` not a number.
        ValueError: for badly shaped inputs (e.g. not 4-D heatmaps, a ``target`` of another
            ``K``), inputs on different devices, an unknown ``reduction``, a non-positive
            ``target_scale`` / ``eps``, NaN/Inf in the heatmaps, NaN/Inf targets at landmarks
            of non-zero weight, or negative / NaN / Inf weights.

    Example:
        >>> heatmaps = torch.zeros(1, 1, 6, 6)
        >>> heatmaps[0, 0, 2:5:2, 2:5:2] = 0.25  # mass 1/4 at x, y in {2, 4}: mu = 3, b = 1
        >>> laplace_kl_loss(heatmaps, torch.tensor([[[3.0, 3.0]]]))
        tensor(0.)
        >>> loss = laplace_kl_loss(heatmaps, torch.tensor([[[4.0, 3.0]]]))  # exp(-1) on x
        >>> round(float(loss), 6)
        0.367879
        >>> laplace_kl_loss(heatmaps, torch.tensor([[[3.0, 3.0]]]), target_scale=2.0,
        ...                 reduction='none')  # 2 * (log 2 + 1 / 2 - 1)
        tensor([[0.3863]])
    """
    return _heatmap_moment_loss('laplace', heatmaps, target, target_weight, target_scale,
                               use_target_weight, reduction, eps, name='laplace_kl_loss')


def gaussian_kl_loss(heatmaps: Tensor,
                     target: Tensor,
                     target_weight: Optional[Tensor] = None,
                     *,
                     target_scale: float = 1.0,
                     use_target_weight: bool = True,
                     reduction: str = 'mean',
                     eps: float = 1e-6) -> Tensor:
    r"""GaussianKL loss (the paper's alternative to LaplaceKL).

    Per landmark :math:`k`, summed over the axes :math:`a \in \{x, y\}`:

    .. math::

        \ell_k = \sum_a \mathrm{KL}\big(\mathcal{N}(\mu_{k,a}, \sigma_{k,a}^2) \,\|\,
                 \mathcal{N}(s_{k,a}, \sigma_0^2)\big), \qquad
        L = \frac{\sum_{k} w_k\, \ell_k}{\sum_{k} w_k}

    with the heatmap variance :math:`\sigma^2` from
    :func:`~mmlaplace.models.utils.heatmap_moments` and :math:`\sigma_0` = ``target_scale``
    (see :func:`gaussian_kl` for the closed form). Checks, dtypes and reduction as in
    :func:`laplace_kl_loss`.

    Args:
        heatmaps: normalized heatmaps, shape :math:`(B, K, H, W)`.
        target: ground-truth ``(x, y)`` in heatmap pixels, shape :math:`(B, K, 2)`.
        target_weight: landmark weights, shape :math:`(B, K)` or :math:`(B, K, 1)`; None for
            all ones.
        target_scale: :math:`\sigma_0`, the target standard deviation in heatmap pixels (1 in
            the paper), so the target variance is ``target_scale ** 2``; finite and > 0.
        use_target_weight: if False, ``target_weight`` is ignored.
        reduction: ``'mean'`` (weighted mean over landmarks) or ``'none'`` (:math:`(B, K)`).
        eps: lower bound of the heatmap variance.

    Returns:
        A scalar (``'mean'``) or a :math:`(B, K)` tensor (``'none'``).

    Raises:
        TypeError, ValueError: as :func:`laplace_kl_loss`.

    Example:
        >>> heatmaps = torch.zeros(1, 1, 6, 6)
        >>> heatmaps[0, 0, 2:5:2, 2:5:2] = 0.25  # mu = 3, variance 1 on both axes
        >>> gaussian_kl_loss(heatmaps, torch.tensor([[[3.0, 3.0]]]))
        tensor(0.)
        >>> loss = gaussian_kl_loss(heatmaps, torch.tensor([[[3.0, 5.0]]]))  # 2^2 / 2 on y
        >>> round(float(loss), 6)
        2.0
    """
    return _heatmap_moment_loss('gaussian', heatmaps, target, target_weight, target_scale,
                               use_target_weight, reduction, eps, name='gaussian_kl_loss')


def soft_argmax_loss(heatmaps: Tensor,
                     target: Tensor,
                     target_weight: Optional[Tensor] = None,
                     *,
                     use_target_weight: bool = True,
                     reduction: str = 'mean') -> Tensor:
    r"""Soft-argmax baseline :math:`L_{SAM}` (the paper's eq. 1).

    .. math::

        \ell_k = \lVert \mu_k - s_k \rVert_2, \qquad
        L = \frac{\sum_{k} w_k\, \ell_k}{\sum_{k} w_k}

    with the soft-argmax mean :math:`\mu_k` of each heatmap (see
    :func:`soft_argmax_distance`). Checks, dtypes and reduction as in :func:`laplace_kl_loss`.

    Args:
        heatmaps: normalized heatmaps, shape :math:`(B, K, H, W)`.
        target: ground-truth ``(x, y)`` in heatmap pixels, shape :math:`(B, K, 2)`.
        target_weight: landmark weights, shape :math:`(B, K)` or :math:`(B, K, 1)`; None for
            all ones.
        use_target_weight: if False, ``target_weight`` is ignored.
        reduction: ``'mean'`` (weighted mean over landmarks) or ``'none'`` (:math:`(B, K)`).

    Returns:
        A scalar (``'mean'``) or a :math:`(B, K)` tensor (``'none'``), in heatmap pixels.

    Raises:
        TypeError, ValueError: as :func:`laplace_kl_loss`.

    Example:
        >>> heatmaps = torch.zeros(1, 2, 8, 8)
        >>> heatmaps[0, 0, 4, 3] = 1.0  # (x, y) = (3, 4): 5 pixels from (0, 0)
        >>> heatmaps[0, 1, 0, 0] = 1.0  # on its target
        >>> soft_argmax_loss(heatmaps, torch.zeros(1, 2, 2), reduction='none')
        tensor([[5., 0.]])
        >>> soft_argmax_loss(heatmaps, torch.zeros(1, 2, 2), torch.tensor([[1.0, 3.0]]))
        tensor(1.2500)
    """
    return _heatmap_moment_loss('soft_argmax', heatmaps, target, target_weight,
                               use_target_weight=use_target_weight, reduction=reduction,
                               name='soft_argmax_loss')
