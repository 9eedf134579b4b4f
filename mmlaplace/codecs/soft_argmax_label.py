r"""Codec of :class:`SoftArgmaxHead`: normalized labels in, soft-argmax moments decoded out."""
import math
from typing import Sequence, Tuple

import torch
from mmpose.codecs import RegressionLabel
from mmpose.registry import KEYPOINT_CODECS
from torch import Tensor

from ..structures.crop_geometry import heatmap_to_crop


@KEYPOINT_CODECS.register_module()
class SoftArgmaxLabel(RegressionLabel):
    r"""MMPose's :class:`RegressionLabel` plus the decoding of soft-argmax moments.

    ``encode`` and ``decode`` are :class:`RegressionLabel`'s: keypoints in input-crop pixels
    <-> labels normalized by ``input_size`` (``u = x / W_in``). :meth:`decode_moments` turns
    the head's per-landmark soft-argmax moments, the mean :math:`\mu` and the per-axis
    Laplace scale :math:`b` in heatmap pixels of a ``(W, H)`` heatmap, into

    - ``keypoints`` :math:`\mu \cdot s` in input-crop pixels, with the stride
      :math:`s = (W_{in} / W, H_{in} / H)` (heatmap pixel ``(i, j)`` sits at the normalized
      position ``(j / W, i / H)``, see :mod:`mmlaplace.structures.crop_geometry`);
    - ``keypoint_scales`` :math:`\max(b, \epsilon) \cdot s` in input-crop pixels;
    - ``keypoint_scores`` :math:`\exp(-\mathrm{mean}(\max(b, \epsilon)) / \tau)` in (0, 1],
      the mean over both axes of the scale in *heatmap* pixels, :math:`\tau` =
      ``score_scale`` (heatmap pixels too).

    :meth:`decode_moments` uses pure torch ops, no numpy, so it is traced into exported ONNX
    graphs (:class:`mmlaplace.apis.onnx_decoding.SoftArgmaxDecoder`); the scores fold away
    when the graph does not output them.

    Args:
        input_size (tuple[int, int]): Input crop size ``(W_in, H_in)``.
        score_scale (float): :math:`\tau`, heatmap pixels. In a :class:`SoftArgmaxHead`
            decoder config, leave it out to take the head's ``score_scale`` (default 4.0);
            when the codec config sets it, the codec's value wins and the head adopts it.
            Defaults to 4.0.
        eps (float): Lower bound :math:`\epsilon` of the scales in heatmap pixels (as
            :func:`mmlaplace.models.utils.heatmap_moments`). Defaults to 1e-6.

    Example:
        >>> import torch
        >>> codec = SoftArgmaxLabel(input_size=(12, 8))
        >>> mean = torch.tensor([[[3.0, 1.0]]])  # (B, K, 2), heatmap pixels of a 6 x 4 map
        >>> keypoints, scales, scores = codec.decode_moments(mean, torch.ones(1, 1, 2), (6, 4))
        >>> keypoints, scales
        (tensor([[[6., 2.]]]), tensor([[[2., 2.]]]))
        >>> round(float(scores), 4)  # exp(-1 / 4)
        0.7788
    """

    def __init__(self, input_size: Tuple[int, int], score_scale: float = 4.0,
                 eps: float = 1e-6) -> None:
        if len(input_size) != 2 or not all(float(v) > 0 for v in input_size):
            raise ValueError('SoftArgmaxLabel: `input_size` must be (W, H) with positive '
                             f'sizes, got {input_size}')
        super().__init__(input_size=tuple(input_size))
        self.score_scale = score_scale
        if not (math.isfinite(eps) and eps >= 0):
            raise ValueError(f'SoftArgmaxLabel: `eps` must be >= 0, got {eps}')
        self.eps = float(eps)

    @property
    def score_scale(self) -> float:
        """``score_scale`` of the scores, in heatmap pixels (positive)."""
        return self._score_scale

    @score_scale.setter
    def score_scale(self, value: float) -> None:
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f'SoftArgmaxLabel: `score_scale` must be a positive number, got '
                             f'{value!r}')
        self._score_scale = float(value)

    def decode_moments(self, mean: Tensor, scale: Tensor, heatmap_size: Sequence[int]
                       ) -> Tuple[Tensor, Tensor, Tensor]:
        """Soft-argmax moments in heatmap pixels -> keypoints, scales and scores.

        Args:
            mean (Tensor): Soft-argmax means ``(x, y)`` in heatmap pixels, (B, K, 2) or
                (K, 2).
            scale (Tensor): Per-axis Laplace scales ``b`` in heatmap pixels, the shape of
                ``mean``.
            heatmap_size (Sequence[int]): ``(W, H)`` of the heatmaps the moments come from.

        Returns:
            tuple[Tensor, Tensor, Tensor]: ``keypoints`` (B, K, 2) and ``keypoint_scales``
            (B, K, 2) in input-crop pixels, ``keypoint_scores`` (B, K) (without the batch
            dimension for (K, 2) inputs), in the dtype of ``mean``.

        Raises:
            ValueError: For a ``mean`` that is not (B, K, 2) / (K, 2), a ``scale`` of
                another shape or a bad ``heatmap_size``, naming the argument.
        """
        if not torch.jit.is_tracing():  # traced (ONNX export): checked by the eager run
            _check_moments(mean, scale, heatmap_size)
        b = scale.clamp(min=self.eps) if self.eps > 0 else scale
        keypoints = heatmap_to_crop(mean, heatmap_size, self.input_size)
        scales = heatmap_to_crop(b, heatmap_size, self.input_size)
        scores = torch.exp(-b.mean(dim=-1) / self.score_scale)
        return keypoints, scales, scores


def _check_moments(mean: Tensor, scale: Tensor, heatmap_size: Sequence[int]) -> None:
    """Raise a ValueError naming the argument of :meth:`SoftArgmaxLabel.decode_moments`."""
    where = 'SoftArgmaxLabel.decode_moments'
    if not isinstance(mean, Tensor) or mean.dim() not in (2, 3) or mean.shape[-1] != 2:
        raise ValueError(f'{where}: `mean` must be a tensor of shape (B, K, 2) or (K, 2), got '
                         f'{_shape(mean)}')
    if not isinstance(scale, Tensor) or scale.shape != mean.shape:
        raise ValueError(f'{where}: `scale` must be a tensor of the shape of `mean` '
                         f'{tuple(mean.shape)}, got {_shape(scale)}')
    if len(heatmap_size) != 2 or not all(int(v) > 0 for v in heatmap_size):
        raise ValueError(f'{where}: `heatmap_size` must be (W, H) with positive sizes, got '
                         f'{tuple(heatmap_size)}')


def _shape(x) -> object:
    return tuple(x.shape) if hasattr(x, 'shape') else type(x).__name__
