"""The 4-branch Recombinator Network (RCN) generator of Laplace Landmark Localization.

Robinson et al., "Laplace Landmark Localization", ICCV 2019, Sec. 3.4 and Table 1; the RCN
itself is Honari et al., "Recombinator Networks", CVPR 2016.
"""
import math
import numbers
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpose.models.backbones.base_backbone import BaseBackbone
from mmpose.registry import MODELS
from torch import Tensor

#: Table 3 of the paper (K = 68): width -> (parameters, storage in MB). The 1/8 count is
#: printed as 0.0389M in Table 3 but as 0.0398 in the abstract; the reconstruction below gives
#: 39,828, so Table 3's value is taken to be a digit swap (the 10% check holds either way).
PAPER_TABLE3: Dict[float, Tuple[int, float]] = {
    1 / 16: (17_400, 0.076),
    1 / 8: (38_900, 0.162),
    1 / 4: (128_100, 0.507),
    1 / 2: (478_100, 1.919),
    1.0: (1_872_400, 7.496),
}

#: The widths of Table 3, narrowest first.
PAPER_WIDTHS: Tuple[float, ...] = (1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)

#: Bytes per parameter (float32) and bytes per MB (decimal) of :func:`rcn_param_table`'s MB.
BYTES_PER_PARAM = 4
BYTES_PER_MB = 1e6


def rcn_channels(width: float, base_channels: int = 64) -> int:
    """Number of channels ``c`` of every encoder / bottleneck / decoder-1x1 conv.

    Args:
        width (float): Channel multiplier (> 0), e.g. 1/16 .. 1 in Table 3.
        base_channels (int): Channels at width 1. Defaults to 64.

    Returns:
        int: ``max(1, round(base_channels * width))``.

    Raises:
        ValueError: If ``width`` is not a finite positive number.
    """
    if isinstance(width, bool) or not isinstance(width, numbers.Real) \
            or not math.isfinite(float(width)) or width <= 0:
        raise ValueError(f'RCN width must be a finite positive number, got {width!r}')
    return max(1, int(round(base_channels * float(width))))


def rcn_num_params(width: float = 1.0,
                   num_keypoints: int = 68,
                   in_channels: int = 3,
                   base_channels: int = 64,
                   num_stages: int = 4) -> int:
    """Closed-form parameter count (weights + biases) of :class:`RCN`.

    Args:
        width (float): Channel multiplier. Defaults to 1.0.
        num_keypoints (int): K, the number of output maps. Defaults to 68.
        in_channels (int): Input image channels. Defaults to 3.
        base_channels (int): Channels at width 1. Defaults to 64.
        num_stages (int): Number of encoder / decoder branches. Defaults to 4.

    Returns:
        int: The number of parameters of ``RCN(num_keypoints, in_channels, width, ...)``.
    """

    def conv(cin: int, cout: int, k: int) -> int:
        return cin * cout * k * k + cout

    c, k = rcn_channels(width, base_channels), num_keypoints
    n = conv(in_channels, c, 3) + (num_stages - 1) * conv(c, c, 3)  # encoder
    n += 2 * conv(c, c, 3)  # bottleneck
    n += conv(c, c, 1) + (num_stages - 1) * conv(2 * c, c, 1)  # decoder 1x1 reductions
    n += num_stages * conv(2 * c, 2 * c, 5)  # decoder 5x5 fusions
    n += conv(2 * c, k, 1) + 2 * conv(k, k, 1)  # output head
    return n


def rcn_param_table(num_keypoints: int = 68,
                    widths: Sequence[float] = PAPER_WIDTHS,
                    in_channels: int = 3,
                    base_channels: int = 64) -> List[dict]:
    """Parameter count and storage of :class:`RCN` per width, next to Table 3 of the paper.

    MB convention: ``4 * params / 1e6`` (float32 values, decimal megabytes). The paper's
    "Storage (MB)" row is this plus a few kB of file container: ours 7.490 / 1.912 / 0.512 /
    0.159 / 0.070 vs the paper's 7.496 / 1.919 / 0.507 / 0.162 / 0.076 (widths 1 .. 1/16). A
    ``state_dict`` of this RCN saved with the legacy (pre-1.6, non-zip) ``torch.save`` format
    measures 7.4969 / 1.9195 / 0.5194 / 0.1665 / 0.0768 MB, i.e. the paper's values truncated
    to 3 decimals at widths 1, 1/2 and 1/16 (``tools/rcn_params.py --measure`` reproduces it).
    Binary megabytes (``/ 2**20``) would give 7.143 at width 1, 5% under the paper. The
    paper's 0.507 at 1/4 is below the raw 0.512 of 128,060 float32 values and matches no
    convention (likely a typo).

    Args:
        num_keypoints (int): K. Paper values are only filled in for K = 68.
        widths (Sequence[float]): Widths to tabulate. Defaults to 1/16, 1/8, 1/4, 1/2, 1.
        in_channels (int): Input channels. Defaults to 3.
        base_channels (int): Channels at width 1. Defaults to 64.

    Returns:
        list[dict]: One dict per width with keys ``width``, ``channels``, ``params``,
        ``mb``, ``paper_params``, ``paper_mb`` and ``ratio`` (``params / paper_params``);
        the paper fields are ``None`` where Table 3 has no entry.
    """
    rows = []
    for width in widths:
        params = rcn_num_params(width, num_keypoints, in_channels, base_channels)
        paper = None
        if num_keypoints == 68 and in_channels == 3 and base_channels == 64:
            paper = next((v for w, v in PAPER_TABLE3.items() if math.isclose(w, width)), None)
        rows.append(
            dict(
                width=float(width),
                channels=rcn_channels(width, base_channels),
                params=params,
                mb=params * BYTES_PER_PARAM / BYTES_PER_MB,
                paper_params=paper[0] if paper else None,
                paper_mb=paper[1] if paper else None,
                ratio=params / paper[0] if paper else None,
            ))
    return rows


def _conv(cin: int, cout: int, kernel_size: int) -> nn.Conv2d:
    """A stride-1 'same'-padded convolution with bias."""
    return nn.Conv2d(cin, cout, kernel_size, padding=kernel_size // 2, bias=True)


def _leaky_relu(negative_slope: float) -> nn.LeakyReLU:
    """LeakyReLU, in place on its convolution's output where autograd allows it.

    Every LeakyReLU of the RCN follows a convolution, whose backward does not need its output,
    and with a positive slope LeakyReLU's backward can use its output instead of its input
    (same sign): bit-identical values and gradients, one (B, C, H, W) buffer less per layer,
    ~10% faster training steps on CPU. A slope <= 0 needs the input: not in place.
    """
    return nn.LeakyReLU(negative_slope, inplace=negative_slope > 0)


class _DecoderStep(nn.Module):
    """One coarse-to-fine decoder step of the RCN.

    ``x`` (B, C_in, h, w) -> conv 1x1 to ``c`` -> LReLU -> dropout -> bilinear upsampling to
    the skip's size (x2) -> concat with ``skip`` (B, c, 2h, 2w) -> conv 5x5 2c -> 2c -> LReLU
    -> dropout -> (B, 2c, 2h, 2w).
    """

    def __init__(self, in_channels: int, channels: int, dropout: float,
                 negative_slope: float) -> None:
        super().__init__()
        self.reduce = nn.Sequential(
            _conv(in_channels, channels, 1), _leaky_relu(negative_slope), nn.Dropout(dropout))
        self.fuse = nn.Sequential(
            _conv(2 * channels, 2 * channels, 5), _leaky_relu(negative_slope),
            nn.Dropout(dropout))

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = self.reduce(x)
        if skip.shape[-2:] == (2 * x.shape[-2], 2 * x.shape[-1]):
            # the same numbers as size=skip's size; a constant scale exports to ONNX as one
            # Resize node, a size as Resize + Shape / Slice / Concat
            x = F.interpolate(x, scale_factor=2.0, mode='bilinear', align_corners=False)
        else:
            x = F.interpolate(x, size=skip.shape[-2:], mode='bilinear', align_corners=False)
        return self.fuse(torch.cat([x, skip], dim=1))


@MODELS.register_module()
class RCN(BaseBackbone):
    """4-branch Recombinator Network, the generator G of Laplace Landmark Localization.

    Input (B, in_channels, H, W) (80 x 80 RGB in the paper), output a 1-tuple with the K logit
    maps (B, K, H, W) at the input resolution. With ``c = max(1, round(base_channels * width))``:

    ==============  =========================================================  ============
    part            layers (all convs stride 1, 'same' padding, with bias)     size (80 in)
    ==============  =========================================================  ============
    encoder E_1     conv 3x3 in -> c, LReLU            -> skip S_1, max-pool 2  80 -> 40
    encoder E_2..4  conv 3x3 c -> c, LReLU, DROP       -> skip S_i, max-pool 2  40 -> ... 5
    bottleneck      2 x (conv 3x3 c -> c, LReLU, DROP)                          5
    decoder D_4     conv 1x1 c -> c, LReLU, DROP, UP x2, cat S_4 (2c),
                    conv 5x5 2c -> 2c, LReLU, DROP                              5 -> 10
    decoder D_3..1  conv 1x1 2c -> c, LReLU, DROP, UP x2, cat S_i (2c),
                    conv 5x5 2c -> 2c, LReLU, DROP                              ... -> 80
    head            conv 1x1 2c -> K, LReLU, DROP; conv 1x1 K -> K, LReLU;
                    conv 1x1 K -> K (logits, no activation)                     80
    ==============  =========================================================  ============

    LReLU is LeakyReLU(``negative_slope`` = 0.2); DROP is element-wise dropout (p = 0.2) after
    every activation but the first (E_1) and the last (the head's second); the skips are taken
    after E_i's dropout, before pooling; UP is bilinear (``align_corners=False``).

    Reconstruction. Table 1 of the paper is garbled in places, and the plain reading of Sec. 3.4
    (4 encoder convs, 4 x [1x1 + 5x5] decoder steps, two 1x1 convs to K) gives 1.794M
    parameters at width 1 and falls 29% short at 1/16. Two additions reproduce Table 3: two 3x3
    c -> c convs at the bottleneck and a third 1x1 K -> K conv in the head. The decoder's 5x5
    fusion keeps 2c channels (Table 1's "5 x 5 x 128", tensor sizes "x 128"), and each decoder
    1x1 brings the 2c channels back to c (Sec. 3.4's "output 64 channels out of the 128 at its
    input"), applied before upsampling (Table 1: "1 x 1 x 64 ..., UP"). Parameters (weights and
    biases), K = 68, RGB input:

    =====  ===  =========  ===============  ==========  ============  ========
    width  c    ours       Table 3          ours/paper  MB (4 B/1e6)  paper MB
    =====  ===  =========  ===============  ==========  ============  ========
    1/16   4    17,408     0.0174M          1.0005      0.070         0.076
    1/8    8    39,828     0.0389M (*)      1.0239      0.159         0.162
    1/4    16   128,060    0.1281M          0.9997      0.512         0.507
    1/2    32   478,092    0.4781M          1.0000      1.912         1.919
    1      64   1,872,428  1.8724M          1.0000      7.490         7.496
    =====  ===  =========  ===============  ==========  ============  ========

    (*) The abstract says 0.0398 for the 1/8 model: Table 3's 0.0389 looks like a digit swap,
    so 1/8 is exact too. MB: float32 bytes / 1e6; the paper's row adds a file container of a
    few kB (a legacy-format ``torch.save`` of the state dict gives 7.497 MB at width 1), see
    :func:`rcn_param_table`.

    Input sizes: H and W must be multiples of 8 (``size_divisor``) and at least 16. When they
    are multiples of 16 every upsampling is exactly x2; otherwise the last max-pool floors
    (e.g. 72 -> 9 -> 4) and the first decoder step upsamples to the skip's size instead.

    Initialization: Kaiming-normal (fan-in, leaky_relu gain for ``negative_slope``) on every
    conv followed by a LeakyReLU, zero biases; the last conv is N(0, 1e-3) so the initial
    heatmaps ``softmax(z)`` are near uniform. ``init_cfg`` (e.g. a pretrained checkpoint)
    is applied on top by :meth:`init_weights`.

    Args:
        num_keypoints (int): K, the number of output logit maps. Defaults to 68.
        in_channels (int): Input image channels. Defaults to 3.
        width (float): Channel multiplier, any positive number (1/16 .. 1 in Table 3).
            Defaults to 1.0.
        base_channels (int): Channels c at width 1. Defaults to 64.
        dropout (float): Dropout probability. Defaults to 0.2.
        negative_slope (float): LeakyReLU negative slope. Defaults to 0.2.
        num_stages (int): Number of branches (encoder stages = decoder steps). The paper uses
            4; H and W must then be multiples of ``2 ** (num_stages - 1)``. Defaults to 4.
        channels_last (bool): Run the convolutions in channels-last memory format (about
            1.5x faster on CPU for these small channel counts; same numbers). The output is
            returned contiguous. Defaults to True.
        init_cfg (dict | list[dict], optional): mmengine initialization config. Defaults to
            None (the initialization described above).

    Example:
        >>> model = RCN(num_keypoints=68, width=1 / 8).eval()
        >>> (heatmaps, ) = model(torch.rand(2, 3, 80, 80))
        >>> heatmaps.shape
        torch.Size([2, 68, 80, 80])
    """

    def __init__(self,
                 num_keypoints: int = 68,
                 in_channels: int = 3,
                 width: float = 1.0,
                 base_channels: int = 64,
                 dropout: float = 0.2,
                 negative_slope: float = 0.2,
                 num_stages: int = 4,
                 channels_last: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        # channels-last runs the small-channel convolutions ~1.5x faster on CPU (oneDNN)
        self.channels_last = channels_last
        for name, value in (('num_keypoints', num_keypoints), ('in_channels', in_channels),
                            ('base_channels', base_channels), ('num_stages', num_stages)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f'RCN {name} must be a positive int, got {value!r}')
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f'RCN dropout must be in [0, 1), got {dropout!r}')
        c = rcn_channels(width, base_channels)  # validates width
        self.num_keypoints = num_keypoints
        self.in_channels = in_channels
        self.width = float(width)
        self.channels = c
        self.num_stages = num_stages
        self.negative_slope = negative_slope
        self.size_divisor = 2**(num_stages - 1)
        self.min_size = 2**num_stages

        def act() -> nn.LeakyReLU:
            return _leaky_relu(negative_slope)

        self.encoder = nn.ModuleList()
        for i in range(num_stages):
            layers = [_conv(in_channels if i == 0 else c, c, 3), act()]
            if i > 0:  # no dropout after the very first activation
                layers.append(nn.Dropout(dropout))
            self.encoder.append(nn.Sequential(*layers))
        self.pool = nn.MaxPool2d(2, 2)
        self.bottleneck = nn.Sequential(
            _conv(c, c, 3), act(), nn.Dropout(dropout),
            _conv(c, c, 3), act(), nn.Dropout(dropout))
        # decoder[0] is the coarsest step (D_4 in Table 1), decoder[-1] the finest (D_1).
        self.decoder = nn.ModuleList(
            _DecoderStep(c if i == 0 else 2 * c, c, dropout, negative_slope)
            for i in range(num_stages))
        self.head = nn.Sequential(
            _conv(2 * c, num_keypoints, 1), act(), nn.Dropout(dropout),
            _conv(num_keypoints, num_keypoints, 1), act(),  # last activation: no dropout
            _conv(num_keypoints, num_keypoints, 1))
        self._default_init()

    def _default_init(self) -> None:
        """Kaiming init for LeakyReLU convs, near-zero last conv (near-uniform heatmaps)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(
                    m.weight, a=self.negative_slope, mode='fan_in', nonlinearity='leaky_relu')
                nn.init.zeros_(m.bias)
        last = self.head[-1]
        nn.init.normal_(last.weight, std=1e-3)
        nn.init.zeros_(last.bias)

    def train(self, mode: bool = True) -> 'RCN':
        """Set train / eval mode and return ``self``.

        MMPose's ``BaseBackbone.train`` returns None, which would make ``model.eval()``
        return None; this restores the ``nn.Module`` contract.
        """
        super().train(mode)
        return self

    def _check_input(self, x: Tensor) -> None:
        if x.dim() != 4:
            raise ValueError(f'RCN expects a (B, C, H, W) tensor, got shape {tuple(x.shape)}')
        h, w = int(x.shape[-2]), int(x.shape[-1])
        d = self.size_divisor
        if h % d or w % d or h < self.min_size or w < self.min_size:
            raise ValueError(f'RCN input size {h}x{w} (HxW) is not supported: H and W must be '
                             f'multiples of {d} and at least {self.min_size} '
                             f'({self.num_stages} max-pools), e.g. 80x80')

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        """Predict K logit maps.

        Args:
            x (Tensor): Images, shape (B, in_channels, H, W), H and W multiples of 8.

        Returns:
            tuple[Tensor]: One tensor of logits, shape (B, K, H, W).

        Raises:
            ValueError: If H or W is not a multiple of ``size_divisor`` (8) or below 16.
        """
        self._check_input(x)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        skips = []
        for stage in self.encoder:
            x = stage(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for step, skip in zip(self.decoder, reversed(skips)):
            x = step(x, skip)
        return (self.head(x).contiguous(), )
