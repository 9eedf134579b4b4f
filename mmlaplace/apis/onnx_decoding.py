r"""Soft-argmax decoding written for a small, fast inference graph (ONNX export).

:func:`mmlaplace.models.utils.normalize_heatmaps` + :func:`heatmap_moments` compute the same
numbers, but traced for ONNX they cost about 30 nodes (reshapes with shape arithmetic for the
dynamic batch, ``LogSoftmax`` then ``Exp``, per-axis ops), three passes over the
(B, K, H, W) maps after the softmax, and in an int8 graph two dequantizations of the logits
(about 0.1 ms each for RCN-1/8 at batch 1). This version keeps the work and the graph short:

- in the exported graph, the logits have one consumer (a constant-shape reshape into ONNX
  Runtime's fused ``Softmax``), so an int8 graph dequantizes them once; in PyTorch, no
  reshape (no copy of channels-last maps) and no division of the full maps: the softmax
  denominator is the sum of a marginal,
  :math:`p_x(t) = \sum_y e^{\beta (z(x, y) - m)} / Z` with :math:`m` the map's maximum;
- both axes at once on the concatenated marginals (B, K, W + H), with constant matrices: one
  ``MatMul`` gives both means, one the centring, one both Laplace scales, all in heatmap
  pixels.

The moments then go through the codec, :meth:`mmlaplace.codecs.SoftArgmaxLabel.decode_moments`
(the decoding of :class:`SoftArgmaxHead.predict`): the ``eps`` floor and the stride to input
pixels (no node at all for a stride of 1, as RCN's); its scores, not an output of the graph,
fold away in the export.
"""
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from ..codecs import SoftArgmaxLabel


class SoftArgmaxDecoder(nn.Module):
    """Logit maps (B, K, H, W) -> coordinates and Laplace scales in input pixels.

    Equal (up to float rounding) to ``heatmap_moments(normalize_heatmaps(z, beta))`` decoded
    by :meth:`SoftArgmaxLabel.decode_moments`: the means and the clamped scales
    ``max(b, eps)`` multiplied by the stride ``(W_in / W, H_in / H)``.

    Args:
        heatmap_size (Sequence[int]): ``(W, H)`` of the logit maps.
        input_size (Sequence[int]): ``(W_in, H_in)`` of the input crop.
        beta (float): Softmax inverse temperature. Defaults to 1.
        eps (float): Lower bound of the scales in heatmap pixels (as ``heatmap_moments``),
            for the default codec. Defaults to 1e-6.
        codec (SoftArgmaxLabel, optional): The codec that decodes the moments; its
            ``input_size`` must be ``input_size``. Defaults to
            ``SoftArgmaxLabel(input_size, eps=eps)``.

    Example:
        >>> decoder = SoftArgmaxDecoder((8, 8), (32, 32))
        >>> coords, scales = decoder(torch.randn(2, 5, 8, 8))
        >>> coords.shape, scales.shape
        (torch.Size([2, 5, 2]), torch.Size([2, 5, 2]))
    """

    def __init__(self, heatmap_size: Sequence[int], input_size: Sequence[int],
                 beta: float = 1.0, eps: float = 1e-6,
                 codec: Optional[SoftArgmaxLabel] = None) -> None:
        super().__init__()
        width, height = int(heatmap_size[0]), int(heatmap_size[1])
        if codec is None:
            codec = SoftArgmaxLabel(input_size=tuple(input_size), eps=eps)
        elif tuple(codec.input_size) != tuple(input_size):
            raise ValueError(f'SoftArgmaxDecoder: the codec\'s input_size {codec.input_size} '
                             f'differs from input_size {tuple(input_size)}')
        self.codec = codec
        self.heatmap_size = (width, height)
        self.beta = float(beta)
        t = torch.cat([torch.arange(width), torch.arange(height)]).double()
        select = torch.zeros(width + height, 2, dtype=torch.float64)  # marginal -> its axis
        select[:width, 0] = 1
        select[width:, 1] = 1
        # (W + H, 2): positions -> both means (heatmap pixels) in one MatMul
        self.register_buffer('positions', (t[:, None] * select).float())
        self.register_buffer('grid', t.float())
        # (2, W + H): both means -> each marginal's own mean
        self.register_buffer('spread', select.t().contiguous().float())
        self.register_buffer('select', select.float())

    def moments(self, logits: Tensor) -> Tuple[Tensor, Tensor]:
        """Soft-argmax means and per-axis Laplace scales (B, K, 2), in heatmap pixels.

        Args:
            logits (Tensor): Logit maps (B, K, H, W).

        Returns:
            tuple[Tensor, Tensor]: ``mean`` and ``scale`` (not clamped), ``(x, y)``, float32.
        """
        if tuple(logits.shape[-1:-3:-1]) != self.heatmap_size:
            raise ValueError(f'SoftArgmaxDecoder: expected (B, K, {self.heatmap_size[1]}, '
                             f'{self.heatmap_size[0]}) logits, got {tuple(logits.shape)}')
        z = logits.float()
        if self.beta != 1.0:
            z = z * self.beta
        if torch.onnx.is_in_onnx_export():
            # one consumer of the logits (an int8 graph dequantizes them once), constant
            # reshapes (one node each), ONNX Runtime's fused Softmax
            num, (width, height) = int(logits.shape[1]), self.heatmap_size
            p = torch.softmax(z.reshape(-1, num, height * width), dim=-1)
            p = p.reshape(-1, num, height, width)
            marginals = torch.cat([p.sum(dim=2), p.sum(dim=3)], dim=-1)  # (B, K, W + H)
        else:
            # PyTorch: no reshape (no copy of channels-last maps), the softmax denominator
            # from a marginal instead of a division of the full maps
            e = (z - z.amax(dim=(2, 3), keepdim=True)).exp_()
            px = e.sum(dim=2)
            marginals = torch.cat([px, e.sum(dim=3)], dim=-1)
            marginals = marginals / px.sum(dim=-1, keepdim=True)
        mean = marginals @ self.positions
        centred = (self.grid - mean @ self.spread).abs()
        return mean, (marginals * centred) @ self.select

    def forward(self, logits: Tensor) -> Tuple[Tensor, Tensor]:
        """Coordinates (B, K, 2) and per-axis Laplace scales (B, K, 2), in input pixels.

        Args:
            logits (Tensor): Logit maps (B, K, H, W).

        Returns:
            tuple[Tensor, Tensor]: ``coords`` and ``scales``, ``(x, y)`` order, float32.
        """
        mean, scale = self.moments(logits)
        coords, scales, _ = self.codec.decode_moments(mean, scale, self.heatmap_size)
        return coords, scales
