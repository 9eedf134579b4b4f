r"""Codec of :class:`PIPHead`: Pixel-in-Pixel label assignment and neighbour-vote decoding.

PIPNet (Jin et al., IJCV 2021, Sec. 3.1-3.2) predicts, on a low-resolution ``(W, H)`` map of
stride ``s``, per landmark ``k``: a score map, the ``(x, y)`` offset of the landmark inside its
cell, and the offsets of its ``C`` nearest neighbours (in the training mean shape) relative to
the same cell. In grid units ``g = x / s``:

- positive cell :math:`c_k = \lfloor g_k \rfloor` (clamped to the map), score target 1 there
  and 0 elsewhere;
- own offset :math:`o_k = g_k - c_k`; neighbour offsets :math:`n_{kj} = g_{\nu(k, j)} - c_k`,
  :math:`j = 1..C`, with :math:`\nu(k, j)` the ``j``-th neighbour of ``k``.

Decoding: each landmark's cell is its score map's argmax; it votes for itself,
:math:`c_k + o_k(c_k)`, and for each neighbour, :math:`c_k + n_{kj}(c_k)`. A landmark's
position is the mean of its own vote and the votes of every landmark that has it as a
neighbour; the mean absolute deviation of these votes per axis is its ``keypoint_scales``
(``scale_mode='votes'``). With ``scale_mode='score_softmax'`` the scales are instead the
per-axis Laplace scale (soft-argmax moments, as :class:`SoftArgmaxLabel`) of
``softmax(softmax_beta * score map)`` over the cell centres.
"""
import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from mmpose.codecs import RegressionLabel
from mmpose.registry import KEYPOINT_CODECS
from torch import Tensor

SCALE_MODES = ('votes', 'score_softmax')


@dataclass
class PIPTargets:
    """Targets of one batch (the paper's Fig. 4), gathered at the positive cells.

    Attributes:
        cell_index (Tensor): (B, K) flat index ``y * W + x`` of each landmark's positive cell.
        scores (Tensor): (B, K, H, W) score targets, 1 at the positive cell, 0 elsewhere.
        offsets (Tensor): (B, K, 2) offset of the landmark from its cell's top-left corner.
        neighbor_offsets (Tensor): (B, K, C, 2) offsets of its neighbours from that corner.
        weights (Tensor): (B, K) keypoint weights.
        neighbor_weights (Tensor): (B, K, C) the landmark's weight x the neighbour's.
    """

    cell_index: Tensor
    scores: Tensor
    offsets: Tensor
    neighbor_offsets: Tensor
    weights: Tensor
    neighbor_weights: Tensor


@KEYPOINT_CODECS.register_module()
class PIPLabel(RegressionLabel):
    r"""Pixel-in-Pixel labels (PIPNet) with neighbour regression and a vote-spread scale.

    ``encode`` / ``decode`` of the keypoint labels are :class:`RegressionLabel`'s
    (keypoints in input-crop pixels <-> labels normalized by ``input_size``, weight 0 outside
    the crop); :meth:`assign_targets` builds the training targets on the ``heatmap_size``
    grid from those labels (in torch, on the batch), :meth:`decode_maps` turns the head's maps
    into keypoints, scales and scores (pure torch: traced into ONNX graphs).

    Args:
        input_size (tuple[int, int]): Input crop size ``(W_in, H_in)``.
        heatmap_size (tuple[int, int]): Size ``(W, H)`` of the head's maps (the backbone's
            last feature map, e.g. ``input_size / 32``).
        neighbor_indices (Sequence[Sequence[int]], optional): (K, C) the ``C`` nearest
            neighbours of each landmark in the training mean shape (written by
            ``tools/dataset_converters/pip_neighbors.py``). None: no neighbour regression
            (C = 0). Defaults to None.
        scale_mode (str): ``'votes'`` (the spread of the votes; needs C > 0) or
            ``'score_softmax'``. Defaults to ``'votes'`` when there are neighbours, else
            ``'score_softmax'``.
        softmax_beta (float): Inverse temperature of ``'score_softmax'``. Defaults to 10.
        eps (float): Lower bound of the scales, grid units. Defaults to 1e-3.

    Example:
        >>> import torch
        >>> codec = PIPLabel(input_size=(256, 256), heatmap_size=(8, 8),
        ...                  neighbor_indices=[[1], [0]])
        >>> # landmark 0: 30% / 80% into cell (2, 5); landmark 1 is 1.8 / 0.7 cells away
        >>> labels = torch.tensor([[[2.3, 5.8], [3.8, 5.7]]]) / 8
        >>> t = codec.assign_targets(labels, torch.ones(1, 2))
        >>> t.offsets[0, 0], t.neighbor_offsets[0, 0, 0]
        (tensor([0.3000, 0.8000]), tensor([1.8000, 0.7000]))
    """

    def __init__(self, input_size: Tuple[int, int], heatmap_size: Tuple[int, int],
                 neighbor_indices: Optional[Sequence[Sequence[int]]] = None,
                 scale_mode: Optional[str] = None, softmax_beta: float = 10.0,
                 eps: float = 1e-3) -> None:
        if len(input_size) != 2 or not all(float(v) > 0 for v in input_size):
            raise ValueError('PIPLabel: `input_size` must be (W, H) with positive sizes, got '
                             f'{input_size}')
        if len(heatmap_size) != 2 or not all(int(v) > 0 for v in heatmap_size):
            raise ValueError('PIPLabel: `heatmap_size` must be (W, H) with positive sizes, '
                             f'got {heatmap_size}')
        super().__init__(input_size=tuple(input_size))
        self.heatmap_size = (int(heatmap_size[0]), int(heatmap_size[1]))
        self.neighbor_indices = _check_neighbors(neighbor_indices)
        self.num_neighbors = int(self.neighbor_indices.shape[1])
        # built once: the (K, C) table as a tensor and the (K, K * C) 0/1 vote matrix whose
        # row n selects the neighbour votes cast for landmark n
        self._neighbors = torch.from_numpy(self.neighbor_indices)
        flat = self._neighbors.reshape(-1)
        self._votes = torch.zeros(len(self.neighbor_indices), flat.numel())
        self._votes[flat, torch.arange(flat.numel())] = 1.0
        if scale_mode is None:
            scale_mode = 'votes' if self.num_neighbors > 0 else 'score_softmax'
        if scale_mode not in SCALE_MODES:
            raise ValueError(f'PIPLabel: `scale_mode` must be one of {SCALE_MODES}, got '
                             f'{scale_mode!r}')
        if scale_mode == 'votes' and self.num_neighbors == 0:
            raise ValueError("PIPLabel: scale_mode='votes' needs neighbours (a landmark with "
                             "no neighbours has one vote, no spread); set `neighbor_indices` "
                             "or scale_mode='score_softmax'")
        if not (math.isfinite(softmax_beta) and softmax_beta > 0):
            raise ValueError(f'PIPLabel: `softmax_beta` must be positive, got {softmax_beta}')
        if not (math.isfinite(eps) and eps >= 0):
            raise ValueError(f'PIPLabel: `eps` must be >= 0, got {eps}')
        self.scale_mode = scale_mode
        self.softmax_beta = float(softmax_beta)
        self.eps = float(eps)

    # ------------------------------------------------------------------ geometry
    @property
    def num_keypoints(self) -> Optional[int]:
        """``K`` fixed by ``neighbor_indices`` (None without neighbours)."""
        return int(self.neighbor_indices.shape[0]) if self.num_neighbors else None

    @property
    def stride(self) -> Tuple[float, float]:
        """Input pixels per cell ``(W_in / W, H_in / H)``."""
        return (self.input_size[0] / self.heatmap_size[0],
                self.input_size[1] / self.heatmap_size[1])

    def _check_num_keypoints(self, num_keypoints: int) -> None:
        if self.num_neighbors and num_keypoints != self.neighbor_indices.shape[0]:
            raise ValueError(
                f'PIPLabel: neighbor_indices has {self.neighbor_indices.shape[0]} rows but the '
                f'model has {num_keypoints} keypoints; recompute them for this dataset with '
                'tools/dataset_converters/pip_neighbors.py')

    # ------------------------------------------------------------------ encoding
    def assign_targets(self, labels: Tensor, weights: Tensor) -> PIPTargets:
        """The paper's label assignment (Fig. 4) for a batch of normalized labels.

        Args:
            labels (Tensor): (B, K, 2) keypoint labels normalized by ``input_size`` (as
                :meth:`encode` writes them).
            weights (Tensor): (B, K) keypoint weights.

        Returns:
            PIPTargets: Score maps and the offsets at the positive cells, grid units. A
            landmark outside the map gets the nearest border cell (offsets then leave
            [0, 1], as in PIPNet's code); a non-finite label gets weight 0.

        Raises:
            ValueError: For labels that are not (B, K, 2) or weights that are not (B, K).
        """
        if labels.dim() != 3 or labels.shape[-1] != 2:
            raise ValueError(f'PIPLabel.assign_targets: `labels` must be (B, K, 2), got '
                             f'{tuple(labels.shape)}')
        if weights.shape != labels.shape[:2]:
            raise ValueError(f'PIPLabel.assign_targets: `weights` must be (B, K) = '
                             f'{tuple(labels.shape[:2])}, got {tuple(weights.shape)}')
        num, k = labels.shape[:2]
        self._check_num_keypoints(k)
        # a non-finite label (an unannotated point) gets weight 0 and a harmless position
        finite = torch.isfinite(labels).all(dim=-1)
        labels = torch.where(finite[..., None], labels, torch.zeros_like(labels))
        weights = weights * finite.to(weights.dtype)
        width, height = self.heatmap_size
        grid = labels * labels.new_tensor([float(width), float(height)])
        cell = grid.detach().floor()
        cell = torch.stack([cell[..., 0].clamp(0, width - 1), cell[..., 1].clamp(0, height - 1)],
                           dim=-1)
        index = (cell[..., 1] * width + cell[..., 0]).long()
        scores = labels.new_zeros(num, k, height * width)
        scores.scatter_(-1, index[..., None], 1.0)
        if self.num_neighbors:
            nb = self._neighbors.to(labels.device)  # (K, C)
            neighbor_offsets = grid[:, nb] - cell[:, :, None]
            neighbor_weights = weights[:, :, None] * weights[:, nb]
        else:
            neighbor_offsets = grid.new_zeros(num, k, 0, 2)
            neighbor_weights = weights.new_zeros(num, k, 0)
        return PIPTargets(cell_index=index, scores=scores.reshape(num, k, height, width),
                          offsets=grid - cell, neighbor_offsets=neighbor_offsets,
                          weights=weights, neighbor_weights=neighbor_weights)

    # ------------------------------------------------------------------ decoding
    def decode_maps(self, scores: Tensor, offsets: Tensor, neighbor_offsets: Tensor
                    ) -> Tuple[Tensor, Tensor, Tensor]:
        """The head's maps -> keypoints, scales and scores in input-crop pixels.

        Args:
            scores (Tensor): (B, K, H, W) score maps.
            offsets (Tensor): (B, K, 2, H, W) own ``(x, y)`` offsets, grid units.
            neighbor_offsets (Tensor): (B, K, C, 2, H, W) neighbour offsets, grid units.

        Returns:
            tuple[Tensor, Tensor, Tensor]: ``keypoints`` (B, K, 2) and ``keypoint_scales``
            (B, K, 2) in input-crop pixels, ``keypoint_scores`` (B, K), the score maps'
            maxima clamped to [0, 1].
        """
        if not torch.jit.is_tracing():
            self._check_maps(scores, offsets, neighbor_offsets)
        num, k, height, width = scores.shape
        flat = scores.reshape(num, k, height * width)
        index = flat.argmax(dim=-1)  # (B, K)
        cell = torch.stack([index % width, torch.div(index, width, rounding_mode='floor')],
                           dim=-1).to(scores.dtype)
        own = cell + gather_cells(offsets, index)
        if self.num_neighbors:
            votes = cell[:, :, None] + gather_cells(neighbor_offsets, index)  # (B, K, C, 2)
            votes = votes.reshape(num, k * self.num_neighbors, 2)
            matrix = self._votes.to(scores)
            count = 1.0 + matrix.sum(dim=1)[:, None]  # (K, 1)
            mean = (own + matrix @ votes) / count
        else:
            mean = own
        if self.scale_mode == 'votes':
            target = mean[:, self._neighbors.reshape(-1).to(scores.device)]
            spread = ((own - mean).abs() + matrix @ (votes - target).abs()) / count
        else:
            spread = self._softmax_scale(flat, height, width)
        stride = scores.new_tensor(self.stride)
        keypoint_scores = flat.amax(dim=-1).clamp(0.0, 1.0)
        return mean * stride, spread.clamp(min=self.eps) * stride, keypoint_scores

    def _softmax_scale(self, flat: Tensor, height: int, width: int) -> Tensor:
        """Per-axis Laplace scale of ``softmax(beta * scores)`` over the cell centres."""
        p = torch.softmax(flat * self.softmax_beta, dim=-1).reshape(*flat.shape[:2], height,
                                                                     width)
        px, py = p.sum(dim=2), p.sum(dim=3)  # marginals (B, K, W), (B, K, H)
        xs = torch.arange(width, dtype=flat.dtype, device=flat.device)
        ys = torch.arange(height, dtype=flat.dtype, device=flat.device)
        mx, my = (px * xs).sum(-1, keepdim=True), (py * ys).sum(-1, keepdim=True)
        return torch.stack([(px * (xs - mx).abs()).sum(-1), (py * (ys - my).abs()).sum(-1)],
                           dim=-1)

    def decode(self, encoded: Tuple[np.ndarray, ...]) -> Tuple[np.ndarray, np.ndarray]:
        """MMPose's codec API: ``(scores, offsets, neighbor_offsets)`` of one instance.

        Args:
            encoded (tuple[np.ndarray]): (K, H, W), (K, 2, H, W) and (K, C, 2, H, W) maps.

        Returns:
            tuple[np.ndarray, np.ndarray]: ``keypoints`` (1, K, 2) in input pixels and
            ``scores`` (1, K).
        """
        scores, offsets, neighbor_offsets = (torch.as_tensor(np.asarray(m, np.float32))[None]
                                             for m in encoded)
        keypoints, _, keypoint_scores = self.decode_maps(scores, offsets, neighbor_offsets)
        return keypoints.numpy(), keypoint_scores.numpy()

    def _check_maps(self, scores: Tensor, offsets: Tensor, neighbor_offsets: Tensor) -> None:
        where = 'PIPLabel.decode_maps'
        if scores.dim() != 4:
            raise ValueError(f'{where}: `scores` must be (B, K, H, W), got '
                             f'{tuple(scores.shape)}')
        num, k, height, width = scores.shape
        if (width, height) != self.heatmap_size:
            raise ValueError(
                f'{where}: the maps are {width} x {height} but the codec\'s heatmap_size is '
                f'{self.heatmap_size}; set model.head.decoder.heatmap_size to the backbone\'s '
                'output size (input_size / stride)')
        self._check_num_keypoints(k)
        if tuple(offsets.shape) != (num, k, 2, height, width):
            raise ValueError(f'{where}: `offsets` must be {(num, k, 2, height, width)}, got '
                             f'{tuple(offsets.shape)}')
        expected = (num, k, self.num_neighbors, 2, height, width)
        if tuple(neighbor_offsets.shape) != expected:
            raise ValueError(f'{where}: `neighbor_offsets` must be {expected}, got '
                             f'{tuple(neighbor_offsets.shape)}')


def gather_cells(maps: Tensor, index: Tensor) -> Tensor:
    """Values of (B, K, ..., H, W) maps at each landmark's cell ``index`` (B, K) -> (B, K, ...)."""
    num, k = index.shape
    flat = maps.reshape(num, k, -1, maps.shape[-2] * maps.shape[-1])
    picked = flat.gather(-1, index[:, :, None, None].expand(num, k, flat.shape[2], 1))
    return picked.reshape(maps.shape[:-2])


def _check_neighbors(neighbor_indices: Optional[Sequence[Sequence[int]]]) -> np.ndarray:
    """(K, C) int64 neighbour indices (C = 0 for None), checked."""
    if neighbor_indices is None:
        return np.zeros((0, 0), np.int64)
    try:
        indices = np.asarray(neighbor_indices, dtype=np.int64)
    except (TypeError, ValueError) as err:
        raise ValueError('PIPLabel: `neighbor_indices` must be a (K, C) list of integers: '
                         f'{err}') from None
    if indices.ndim != 2:
        raise ValueError('PIPLabel: `neighbor_indices` must be a (K, C) list of integers, got '
                         f'shape {indices.shape}')
    k = indices.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= k):
        raise ValueError(f'PIPLabel: `neighbor_indices` must lie in [0, {k}), got values in '
                         f'[{indices.min()}, {indices.max()}]')
    own = np.nonzero((indices == np.arange(k)[:, None]).any(axis=1))[0]
    if own.size:
        raise ValueError(f'PIPLabel: landmark {int(own[0])} lists itself among its '
                         '`neighbor_indices`')
    return indices
