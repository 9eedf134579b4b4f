r"""The latent ground-truth search of semantic alignment (Liu et al., CVPR 2019, eq. 8).

Human annotations of contour and eyebrow points slide along their curves from annotator to
annotator. Semantic alignment treats the "real" landmark :math:`\hat y_k` as latent and, with
the network fixed, searches it in a window :math:`N(o_k)` around the current observation
:math:`o_k` (the annotation at first, then the previous search result):

.. math::

    \hat y_k = \arg\min_{y \in N(o_k)} \frac{\lVert o_k - y \rVert^2}{2 \sigma_1^2}
        + \frac{\chi^2(y \mid x; W)}{2 \sigma_2^2}

where :math:`\chi^2` is the loss the model would pay with :math:`y` as its target. With
LaplaceKL it has a closed form: :math:`\sum_a \mathrm{KL}(\mathrm{Lap}(\mu_{k,a}, b_{k,a})
\,\|\, \mathrm{Lap}(y_a, b_0))`, from the predicted soft-argmax mean :math:`\mu` and scale
:math:`b`; no heatmap patch is needed. The candidates are the pixel offsets of a
``window x window`` grid centred on :math:`o_k` (the paper: 17 x 17 on 256 x 256 heatmaps).
"""
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor

from ..losses.functional import laplace_kl
from .similarity_warp import inside_crop

__all__ = ['search_latent_landmarks']


def _offsets(window: int, device, dtype) -> Tensor:
    """The window's integer offsets (N, 2), nearest first (offset 0 at index 0)."""
    r = window // 2
    grid = torch.arange(-r, r + 1, device=device, dtype=dtype)
    offsets = torch.stack(torch.meshgrid(grid, grid, indexing='xy'), -1).reshape(-1, 2)
    order = torch.argsort(offsets.square().sum(-1), stable=True)
    return offsets[order]


def search_latent_landmarks(mu: Tensor,
                            scales: Tensor,
                            observation: Tensor,
                            *,
                            window: int = 5,
                            sigma1: float = 1.0,
                            sigma2: float = 1.0,
                            target_scale: float = 1.0,
                            size: Optional[Sequence[int]] = None,
                            valid: Optional[Tensor] = None,
                            eps: float = 1e-6) -> Tuple[Tensor, Tensor]:
    r"""Search the latent landmark in a window around each observation (module docstring).

    Args:
        mu (Tensor): Predicted soft-argmax means (B, K, 2) in heatmap pixels.
        scales (Tensor): Predicted Laplace scales (B, K, 2) in heatmap pixels (> 0).
        observation (Tensor): The current observations :math:`o` (B, K, 2), heatmap pixels.
        window (int): Side of the square search window in pixels, odd, >= 1. Defaults to 5.
        sigma1 (float): Prior width :math:`\sigma_1` (pixels): small keeps the observation,
            large trusts the model. Defaults to 1.0.
        sigma2 (float): Data-term width :math:`\sigma_2`. Defaults to 1.0.
        target_scale (float): :math:`b_0` of the LaplaceKL target. Defaults to 1.0.
        size (Sequence[int], optional): Heatmap ``(W, H)``: candidates outside
            ``[0, W - 1] x [0, H - 1]`` are not taken (the observation itself always is).
        valid (Tensor, optional): (B, K) bool; landmarks without it keep their observation
            (e.g. unannotated ones).
        eps (float): Lower bound of the predicted scales.

    Returns:
        tuple[Tensor, Tensor]: The searched landmarks (B, K, 2), within ``window // 2`` pixels
        of the observation on each axis, and their cost (B, K). Ties go to the candidate
        nearest the observation.

    Raises:
        ValueError: For mismatched shapes, an even or non-positive ``window``, or
            non-positive ``sigma1`` / ``sigma2`` / ``target_scale``.

    Example:
        >>> mu = torch.tensor([[[12.0, 10.0]]])  # the model is sure the point is at x = 12
        >>> b = torch.full((1, 1, 2), 0.5)
        >>> o = torch.tensor([[[10.0, 10.0]]])   # the annotation says x = 10
        >>> search_latent_landmarks(mu, b, o, window=5, sigma1=10.0)[0]
        tensor([[[12., 10.]]])
        >>> search_latent_landmarks(mu, b, o, window=5, sigma1=0.1)[0]
        tensor([[[10., 10.]]])
    """
    if not (mu.shape == scales.shape == observation.shape and mu.dim() == 3
            and mu.shape[-1] == 2):
        raise ValueError(f'search_latent_landmarks: mu, scales and observation must all be '
                         f'(B, K, 2), got {tuple(mu.shape)}, {tuple(scales.shape)}, '
                         f'{tuple(observation.shape)}')
    if not (isinstance(window, int) and window >= 1 and window % 2 == 1):
        raise ValueError(f'search_latent_landmarks: window must be an odd int >= 1, got '
                         f'{window!r}')
    for name, value in (('sigma1', sigma1), ('sigma2', sigma2),
                        ('target_scale', target_scale)):
        if not float(value) > 0:
            raise ValueError(f'search_latent_landmarks: {name} must be > 0, got {value!r}')
    with torch.no_grad():
        dtype = torch.float64 if mu.dtype == torch.float64 else torch.float32
        mu, observation = mu.to(dtype), observation.to(dtype)
        scales = scales.to(dtype).clamp_min(eps)
        offsets = _offsets(window, mu.device, dtype)  # (N, 2)
        cand = observation[:, :, None, :] + offsets  # (B, K, N, 2)
        prior = offsets.square().sum(-1) / (2 * float(sigma1) ** 2)  # (N,)
        data = laplace_kl(mu[:, :, None], scales[:, :, None], cand, float(target_scale))
        cost = prior + data.sum(-1) / (2 * float(sigma2) ** 2)  # (B, K, N)
        if size is not None:
            outside = ~inside_crop(cand, size)
            outside[..., 0] = False  # the observation stays a candidate
            cost = cost.masked_fill(outside, float('inf'))
        best = cost.argmin(-1)  # the first minimum: the nearest candidate
        best_cost = torch.gather(cost, 2, best[..., None])[..., 0]
        found = torch.gather(cand, 2, best[..., None, None].expand(-1, -1, 1, 2))[:, :, 0]
        if valid is not None:
            if valid.shape != mu.shape[:2]:
                raise ValueError(f'search_latent_landmarks: valid must be (B, K) = '
                                 f'{tuple(mu.shape[:2])}, got {tuple(valid.shape)}')
            keep = ~valid.bool()
            found = torch.where(keep[..., None], observation, found)
            best_cost = torch.where(keep, cost[..., 0], best_cost)
    return found, best_cost
