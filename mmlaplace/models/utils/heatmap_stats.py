"""Heatmap statistics shared by the head, the losses and the discriminator.

Coordinate convention (used everywhere in mmlaplace): a heatmap of shape ``(H, W)`` has pixel
``(i, j)`` (row ``i``, column ``j``) at ``x = j`` and ``y = i``, i.e. ``x`` runs over the columns
``0 .. W - 1`` and ``y`` over the rows ``0 .. H - 1``; coordinates are in heatmap pixels, with
integer values at pixel centres. Coordinate tensors store ``(x, y)`` in their last dimension.

All functions compute in float32 whatever the input dtype and autocast state: the softmax of
large logits and the moments of sharp heatmaps are not representable in float16.
"""
from __future__ import annotations

import math
import numbers
from typing import Optional

import torch
from torch import Tensor

__all__ = ['normalize_heatmaps', 'heatmap_moments', 'render_target_heatmaps']

_KINDS = ('laplace', 'gaussian')
_DISCRETIZATIONS = ('integrate', 'sample')


def _float32(x: Tensor) -> Tensor:
    """Cast ``x`` to float32 unless it is already float32 or float64 (kept for gradcheck)."""
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def normalize_heatmaps(logits: Tensor, beta: float = 1.0) -> Tensor:
    r"""Turn logit maps into probability maps with a spatial softmax.

    .. math::

        p_k(x) = \frac{\exp(\beta z_k(x))}{\sum_{x'} \exp(\beta z_k(x'))}

    computed through ``log_softmax`` over the ``H * W`` pixels of each map, in float32 (also
    under autocast), so it is stable for logits up to about :math:`\pm 10^4` (a one-hot map
    comes out, without NaN).

    Args:
        logits: logit maps of shape :math:`(B, K, H, W)` (any number of leading dimensions is
            accepted; the softmax runs over the last two).
        beta: inverse temperature :math:`\beta` (1 in the paper).

    Returns:
        Probability maps of shape :math:`(B, K, H, W)`, float32 (float64 stays float64), each
        map summing to 1.

    Raises:
        ValueError: if ``logits`` has fewer than 2 dimensions or ``beta`` is not finite.

    Example:
        >>> logits = torch.randn(2, 3, 8, 8)
        >>> heatmaps = normalize_heatmaps(logits)
        >>> heatmaps.shape
        torch.Size([2, 3, 8, 8])
        >>> torch.allclose(heatmaps.sum(dim=(-2, -1)), torch.ones(2, 3))
        True
    """
    if not isinstance(logits, Tensor) or logits.dim() < 2:
        raise ValueError('normalize_heatmaps: `logits` must be a tensor of shape (B, K, H, W), '
                         f'got {getattr(logits, "shape", type(logits))}')
    if not math.isfinite(beta):
        raise ValueError(f'normalize_heatmaps: `beta` must be finite, got {beta}')
    with torch.autocast(device_type=logits.device.type, enabled=False):
        z = _float32(logits)
        flat = z.flatten(start_dim=-2) * beta
        return flat.log_softmax(dim=-1).exp().view_as(z)


def heatmap_moments(heatmaps: Tensor, eps: float = 1e-6) -> tuple[Tensor, Tensor, Tensor]:
    r"""Soft-argmax mean, Laplace scale and variance of normalized heatmaps, per axis.

    For each map :math:`p` and each axis :math:`a \in \{x, y\}` with marginal :math:`p_a`:

    .. math::

        \mu_a = \sum_t p_a(t)\, t, \qquad
        b_a = \sum_t p_a(t)\, |t - \mu_a|, \qquad
        \sigma^2_a = \sum_t p_a(t)\, (t - \mu_a)^2

    (``b`` is the Laplace scale of the paper's :math:`\tau` with :math:`\alpha = 1`, ``var`` the
    Gaussian one with :math:`\alpha = 2`). The marginals are summed first, so the cost after
    them is :math:`O(K (H + W))`; this is exact per axis. ``b`` and ``var`` are clamped from
    below by ``eps`` (a one-hot map has zero spread, and a zero scale gives an infinite KL);
    below ``eps`` their gradient is zero.

    The maps are assumed normalized (e.g. by :func:`normalize_heatmaps`); they are not
    renormalized here.

    Args:
        heatmaps: probability maps of shape :math:`(B, K, H, W)` (any leading dimensions).
        eps: lower bound for ``b`` and ``var``.

    Returns:
        ``(mu, b, var)``, each of shape :math:`(B, K, 2)` holding ``(x, y)`` in heatmap pixels
        (``x`` = column index, ``y`` = row index), float32 (float64 stays float64).

    Raises:
        ValueError: if ``heatmaps`` has fewer than 2 dimensions.

    Example:
        >>> heatmaps = torch.zeros(1, 1, 4, 6)
        >>> heatmaps[0, 0, 1, 3] = 1.0  # row 1, column 3
        >>> mu, b, var = heatmap_moments(heatmaps)
        >>> mu
        tensor([[[3., 1.]]])
        >>> b
        tensor([[[1.0000e-06, 1.0000e-06]]])
    """
    if not isinstance(heatmaps, Tensor) or heatmaps.dim() < 2:
        raise ValueError('heatmap_moments: `heatmaps` must be a tensor of shape (B, K, H, W), '
                         f'got {getattr(heatmaps, "shape", type(heatmaps))}')
    with torch.autocast(device_type=heatmaps.device.type, enabled=False):
        p = _float32(heatmaps)
        height, width = p.shape[-2:]
        marginals = (p.sum(dim=-2), p.sum(dim=-1))  # over rows -> p_x (W), over columns -> p_y (H)
        mus, bs, variances = [], [], []
        for marginal, size in zip(marginals, (width, height)):
            t = torch.arange(size, device=p.device, dtype=p.dtype)
            mu = (marginal * t).sum(dim=-1)
            centred = t - mu.unsqueeze(-1)
            mus.append(mu)
            bs.append((marginal * centred.abs()).sum(dim=-1))
            variances.append((marginal * centred.square()).sum(dim=-1))
        mu = torch.stack(mus, dim=-1)
        b = torch.stack(bs, dim=-1).clamp(min=eps)
        var = torch.stack(variances, dim=-1).clamp(min=eps)
    return mu, b, var


def _log_diff_exp(log_a: Tensor, log_b: Tensor) -> Tensor:
    """``log(exp(log_a) - exp(log_b))`` for ``log_a > log_b``, accurate when they are close."""
    return log_a + torch.log(-torch.expm1(log_b - log_a))


def _axis_log_mass(centre: Tensor, size: int, scale: float, kind: str,
                   discretization: str) -> Tensor:
    """Unnormalized log-probabilities ``(..., size)`` of one axis of a target heatmap.

    ``centre`` (``(...)``) must already be clamped near the grid (see the caller).
    """
    t = torch.arange(size, device=centre.device, dtype=centre.dtype)
    s = centre.unsqueeze(-1)
    if kind == 'laplace':
        if discretization == 'sample':
            return -(t - s).abs() / scale
        # Mass of the cell [t - 1/2, t + 1/2] under Laplace(s, scale), in closed form per case:
        # cell left of s, right of s, or containing s (arguments clamped so that the branch not
        # taken stays finite, which keeps the gradients of torch.where finite).
        log_cell = math.log(0.5) + math.log(-math.expm1(-1.0 / scale))
        left = log_cell + (t + 0.5 - s) / scale
        right = log_cell - (t - 0.5 - s) / scale
        above = (t + 0.5 - s).clamp(0.0, 1.0)  # part of the cell above s
        inside = torch.log(-0.5 * (torch.expm1(-above / scale) +
                                   torch.expm1(-(1.0 - above) / scale)))
        return torch.where(t + 0.5 <= s, left, torch.where(t - 0.5 >= s, right, inside))
    # Gaussian. Subtract the log-density at the grid point nearest to s analytically:
    # (t - s)^2 - (t0 - s)^2 = (t - t0)(t + t0 - 2s), accurate also for s far from the grid.
    if discretization == 'sample':
        t0 = centre.detach().clamp(0, size - 1).round().unsqueeze(-1)
        return -(t - t0) * (t + t0 - 2 * s) / (2 * scale**2)
    # Cell mass Phi(hi) - Phi(lo), using the tail on the side of the cell away from s.
    lo, hi = (t - 0.5 - s) / scale, (t + 0.5 - s) / scale
    below = t < s
    upper = torch.where(below, hi, -lo)
    lower = torch.where(below, lo, -hi)
    return _log_diff_exp(torch.special.log_ndtr(upper), torch.special.log_ndtr(lower))


def render_target_heatmaps(coords: Tensor,
                           heatmap_size: tuple[int, int],
                           scale: float = 1.0,
                           kind: str = 'laplace',
                           discretization: Optional[str] = None) -> Tensor:
    r"""Render normalized target ("real") heatmaps centred on given coordinates.

    Each map is separable, :math:`\omega(u, v) \propto q_x(u)\, q_y(v)`, with per axis a
    discretized Laplace :math:`\propto \exp(-|t - s| / b_0)` (``kind='laplace'``, ``scale`` =
    :math:`b_0`) or Gaussian :math:`\propto \exp(-(t - s)^2 / 2\sigma^2)` (``kind='gaussian'``,
    ``scale`` = :math:`\sigma`), normalized over the grid, so each map sums to 1 like the output
    of :func:`normalize_heatmaps`. Two discretizations:

    - ``'integrate'``: probability mass of the pixel cell :math:`[t - 1/2, t + 1/2]` under the
      continuous density (then renormalized over the grid);
    - ``'sample'``: the density at the pixel centres.

    The default (``None``) takes the one whose discrete moments (:func:`heatmap_moments`) are
    closest to the continuous ones: ``'integrate'`` for the Laplace (its cusp makes point
    samples too peaked: for :math:`b_0 = 1` sampling gives ``b`` between 0.851 and 1.082
    depending on the sub-pixel position of the centre, integrating gives 0.960 to 1.082) and
    ``'sample'`` for the Gaussian (sampling keeps the variance at :math:`\sigma^2` to within
    :math:`10^{-6}` for :math:`\sigma \geq 1`; integrating adds about 1/12). Neither gives the
    mean exactly at a sub-pixel centre: for :math:`b_0 = 1` it is off by up to 0.008 px
    (integrated Laplace); it is exact at integer and half-integer centres well inside the grid.

    A centre outside the grid still gives a valid normalized map, its mass piled up against the
    nearest border (the centre is clamped to a distance beyond the border from which the map no
    longer changes visibly; infinite coordinates are therefore accepted too).

    Args:
        coords: centres ``(x, y)`` in heatmap pixels, shape :math:`(B, K, 2)` (any leading
            dimensions); ``x`` indexes columns and ``y`` rows.
        heatmap_size: ``(W, H)`` of the maps.
        scale: :math:`b_0` for the Laplace, :math:`\sigma` for the Gaussian, in pixels; > 0.
        kind: ``'laplace'`` or ``'gaussian'``.
        discretization: ``'integrate'``, ``'sample'`` or ``None`` (see above).

    Returns:
        Maps of shape :math:`(B, K, H, W)`, float32 (float64 coordinates give float64), each
        summing to 1.

    Raises:
        ValueError: for an unknown ``kind`` or ``discretization``, a non-positive or non-finite
            ``scale``, a bad ``heatmap_size`` or ``coords`` without a last dimension of 2.

    Example:
        >>> coords = torch.tensor([[[2.0, 1.0]]])  # x = 2 (column), y = 1 (row)
        >>> heatmaps = render_target_heatmaps(coords, heatmap_size=(5, 4), scale=1.0)
        >>> heatmaps.shape
        torch.Size([1, 1, 4, 5])
        >>> round(float(heatmaps.sum()), 5)
        1.0
        >>> int(heatmaps[0, 0].argmax()) == 1 * 5 + 2
        True
    """
    if kind not in _KINDS:
        raise ValueError(f'render_target_heatmaps: `kind` must be one of {_KINDS}, got {kind!r}')
    if discretization is None:
        discretization = 'integrate' if kind == 'laplace' else 'sample'
    if discretization not in _DISCRETIZATIONS:
        raise ValueError('render_target_heatmaps: `discretization` must be one of '
                         f'{_DISCRETIZATIONS} or None, got {discretization!r}')
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f'render_target_heatmaps: `scale` must be a positive finite number, '
                         f'got {scale!r}')
    if (len(heatmap_size) != 2
            or not all(isinstance(n, numbers.Integral) and n > 0 for n in heatmap_size)):
        raise ValueError('render_target_heatmaps: `heatmap_size` must be (W, H) with positive '
                         f'integers, got {heatmap_size!r}')
    if not isinstance(coords, Tensor) or coords.dim() < 1 or coords.shape[-1] != 2:
        raise ValueError('render_target_heatmaps: `coords` must be a tensor of shape (B, K, 2), '
                         f'got {getattr(coords, "shape", type(coords))}')
    width, height = int(heatmap_size[0]), int(heatmap_size[1])
    scale = float(scale)
    # Beyond this distance outside the grid the map does not change any more (Laplace: exactly
    # beyond half a pixel; Gaussian: adjacent border pixels differ by a factor exp(64)).
    margin = 1.0 if kind == 'laplace' else 64.0 * scale**2 + 1.0
    with torch.autocast(device_type=coords.device.type, enabled=False):
        c = _float32(coords)
        log_q = []
        for centre, size in ((c[..., 0], width), (c[..., 1], height)):
            centre = centre.clamp(-margin, size - 1 + margin)
            log_mass = _axis_log_mass(centre, size, scale, kind, discretization)
            log_q.append(log_mass.log_softmax(dim=-1))
        log_qx, log_qy = log_q
        return (log_qy.unsqueeze(-1) + log_qx.unsqueeze(-2)).exp()
