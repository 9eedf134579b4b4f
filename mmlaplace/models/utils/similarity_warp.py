r"""Random similarity transforms of image batches and their landmarks, exactly consistent.

The equivariance loss (ELT, Honari et al., CVPR 2018) compares the landmarks of a warped
image with the warped landmarks of the image. Both warps must be the same map, to the pixel:
here a transform is a ``(B, 2, 3)`` matrix :math:`A` acting on **pixel coordinates** of the
input crop in MMPose's convention (pixel ``(i, j)`` has its centre at ``x = j, y = i``; the
heads' normalized coordinates are ``x / W, y / H``):

.. math::

    p' = A \begin{pmatrix} p \\ 1 \end{pmatrix}, \qquad
    A = \big[\, s R(\theta) \;\big|\; c + t - s R(\theta) c \,\big]

with :math:`c = ((W - 1) / 2, (H - 1) / 2)` the crop centre, :math:`s` a scale,
:math:`\theta` a rotation and :math:`t` a shift in pixels. :func:`warp_images` resamples
images so that the content at :math:`p` moves to :math:`A p` (``grid_sample`` with
``align_corners=False``, whose grid convention is this pixel-centre convention);
:func:`transform_points` maps points; :func:`invert_affine` inverts.
"""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['sample_similarity', 'similarity_ranges', 'transform_points', 'inside_crop',
           'invert_affine', 'warp_images', 'affine_scale']

#: the keys of a ``transform`` config (:func:`sample_similarity`'s ranges)
SIMILARITY_KEYS = ('rotate', 'scale', 'shift')


def _homogeneous(matrices: Tensor) -> Tensor:
    """``(B, 2, 3)`` -> ``(B, 3, 3)`` with the row ``(0, 0, 1)``."""
    last = matrices.new_tensor([0.0, 0.0, 1.0]).expand(matrices.shape[0], 1, 3)
    return torch.cat([matrices, last], dim=1)


def _check_matrices(matrices: Tensor) -> None:
    if not (isinstance(matrices, Tensor) and matrices.dim() == 3
            and tuple(matrices.shape[1:]) == (2, 3)):
        shape = tuple(matrices.shape) if isinstance(matrices, Tensor) else type(matrices)
        raise ValueError(f'affine matrices must have shape (B, 2, 3), got {shape}')


def sample_similarity(batch_size: int, size: Sequence[int], rotate: float = 15.0,
                      scale: Tuple[float, float] = (0.9, 1.1), shift: float = 0.08,
                      generator: Optional[torch.Generator] = None,
                      device: Optional[torch.device] = None) -> Tensor:
    """Random similarity transforms about the crop centre, one per sample.

    Args:
        batch_size (int): Number of transforms ``B``.
        size (Sequence[int]): The crop ``(W, H)`` in pixels.
        rotate (float): Rotations uniform in ``[-rotate, rotate]`` degrees.
        scale (tuple[float, float]): Scales uniform in ``[low, high]``, ``0 < low <= high``.
        shift (float): Shifts uniform in ``[-shift, shift]`` times ``(W, H)``.
        generator (torch.Generator, optional): Random generator.
        device (torch.device, optional): Device of the result.

    Returns:
        Tensor: ``(B, 2, 3)`` float32 matrices in pixel coordinates.

    Example:
        >>> A = sample_similarity(4, (80, 80), rotate=0, scale=(1, 1), shift=0)
        >>> torch.allclose(A, torch.eye(2, 3).expand(4, 2, 3))
        True
    """
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f'batch_size must be a positive int, got {batch_size!r}')
    low, high = (float(v) for v in scale)
    if not 0 < low <= high:
        raise ValueError(f'scale must be (low, high) with 0 < low <= high, got {scale!r}')
    if rotate < 0 or shift < 0:
        raise ValueError(f'rotate and shift must be >= 0, got {rotate!r}, {shift!r}')
    w, h = float(size[0]), float(size[1])

    def uniform(lo: float, hi: float) -> Tensor:
        u = torch.rand(batch_size, generator=generator)
        return lo + (hi - lo) * u

    theta = uniform(-rotate, rotate) * (math.pi / 180.0)
    s = uniform(low, high)
    t = torch.stack([uniform(-shift, shift) * w, uniform(-shift, shift) * h], dim=1)
    cos, sin = torch.cos(theta) * s, torch.sin(theta) * s
    linear = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)
    centre = torch.tensor([(w - 1) / 2, (h - 1) / 2])
    offset = centre + t - (linear @ centre)
    return torch.cat([linear, offset[..., None]], dim=2).to(device)


def similarity_ranges(transform: Optional[dict], owner: str) -> dict:
    """A ``transform`` config (:func:`sample_similarity`'s ranges) with defaults, validated.

    Args:
        transform (dict, optional): Any of ``rotate`` (degrees), ``scale`` ((low, high)),
            ``shift`` (fraction of the crop); missing keys take the defaults
            ``rotate=15, scale=(0.9, 1.1), shift=0.08``.
        owner (str): Who asks, for the messages.

    Returns:
        dict: All three keys.

    Raises:
        ValueError: For an unknown key or an invalid range, naming ``owner``.

    Example:
        >>> similarity_ranges(dict(rotate=0), 'demo')
        {'rotate': 0, 'scale': (0.9, 1.1), 'shift': 0.08}
    """
    ranges = dict(dict(rotate=15.0, scale=(0.9, 1.1), shift=0.08), **(transform or {}))
    unknown = set(ranges) - set(SIMILARITY_KEYS)
    if unknown:
        raise ValueError(f'{owner}: transform: unknown keys {sorted(unknown)} (known: '
                         f'{list(SIMILARITY_KEYS)})')
    try:
        sample_similarity(1, (8, 8), **ranges)
    except (TypeError, ValueError) as err:
        raise ValueError(f'{owner}: transform: {err}') from err
    return ranges


def transform_points(points: Tensor, matrices: Tensor) -> Tensor:
    """Apply ``(B, 2, 3)`` transforms to points ``(B, K, 2)`` (pixel coordinates)."""
    _check_matrices(matrices)
    if points.dim() != 3 or points.shape[-1] != 2 or points.shape[0] != matrices.shape[0]:
        raise ValueError(f'points must have shape (B, K, 2) with B = {matrices.shape[0]}, got '
                         f'{tuple(points.shape)}')
    matrices = matrices.to(points.dtype)
    return points @ matrices[:, :, :2].transpose(1, 2) + matrices[:, None, :, 2]


def inside_crop(points: Tensor, size: Sequence[float]) -> Tensor:
    """Whether points (..., 2) lie in the crop ``[0, W - 1] x [0, H - 1]`` (pixel centres).

    Args:
        points (Tensor): ``(x, y)`` in pixels, shape (..., 2).
        size (Sequence[float]): The crop ``(W, H)``.

    Returns:
        Tensor: Bool, shape (...).

    Example:
        >>> inside_crop(torch.tensor([[0.0, 7.0], [8.0, 1.0], [-0.5, 3.0]]), (8, 8))
        tensor([ True, False, False])
    """
    last = points.new_tensor([float(size[0]) - 1, float(size[1]) - 1])
    return ((points >= 0) & (points <= last)).all(-1)


def invert_affine(matrices: Tensor) -> Tensor:
    """The inverse transforms ``(B, 2, 3)``."""
    _check_matrices(matrices)
    return torch.linalg.inv(_homogeneous(matrices))[:, :2]


def affine_scale(matrices: Tensor) -> Tensor:
    """The isotropic scale ``sqrt(|det A|)`` of each transform, ``(B,)``."""
    _check_matrices(matrices)
    return torch.linalg.det(matrices[:, :, :2]).abs().sqrt()


def warp_images(images: Tensor, matrices: Tensor, padding_mode: str = 'zeros') -> Tensor:
    """Resample images ``(B, C, H, W)`` so that the content at ``p`` moves to ``A p``.

    Bilinear ``grid_sample`` (``align_corners=False``); outside the image: ``padding_mode``.
    """
    _check_matrices(matrices)
    if images.dim() != 4 or images.shape[0] != matrices.shape[0]:
        raise ValueError(f'images must have shape (B, C, H, W) with B = {matrices.shape[0]}, '
                         f'got {tuple(images.shape)}')
    h, w = images.shape[-2:]
    # normalized grid g = (2 p + 1) / size - 1  <->  pixel p = ((g + 1) size - 1) / 2
    to_norm = images.new_tensor([[2.0 / w, 0, 1.0 / w - 1], [0, 2.0 / h, 1.0 / h - 1],
                                 [0, 0, 1]])
    to_pix = torch.linalg.inv(to_norm)
    inverse = _homogeneous(invert_affine(matrices).to(images.dtype))
    theta = (to_norm @ inverse @ to_pix)[:, :2]  # output grid -> input grid
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode='bilinear', padding_mode=padding_mode,
                         align_corners=False)
