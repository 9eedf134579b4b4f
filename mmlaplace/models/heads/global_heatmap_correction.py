r"""The global heatmap correction unit (GHCU) of semantic alignment (Liu et al., CVPR 2019).

A light CNN from the :math:`K` predicted heatmaps to :math:`2K` coordinates. It sees every
landmark's map at once, so it learns the face's shape and restores points whose own heatmap
failed (occlusion, blur). Table 1 of the paper, on 256 x 256 heatmaps: six 2-strided
convolutions (5 x 5 / 64, then 3 x 3 with 64, 32, 32, 16, 16 channels) down to 4 x 4, a 256-unit
fully connected layer and a :math:`2K` output. Here the six convolutions keep the paper's
kernels and channels at any heatmap size (80 x 80 maps end at 2 x 2), each followed by ReLU;
the output is the coordinates normalized like :class:`SoftArgmaxHead`'s (``x / W``,
``y / H``).
"""
from typing import Optional, Sequence, Union

import torch
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn

__all__ = ['GlobalHeatmapCorrectionUnit', 'ghcu_correct']

#: Table 1: (kernel, channels) of the six convolutions, all with stride 2
GHCU_CONVS = ((5, 64), (3, 64), (3, 32), (3, 32), (3, 16), (3, 16))


@MODELS.register_module()
class GlobalHeatmapCorrectionUnit(BaseModule):
    r"""GHCU: heatmaps (B, K, H, W) -> coordinates (B, K, 2), normalized to [0, 1).

    Args:
        num_keypoints (int): :math:`K`.
        heatmap_size (Sequence[int]): ``(W, H)`` of the input heatmaps.
        convs (Sequence[tuple[int, int]]): ``(kernel, channels)`` of the stride-2 convolutions.
            Defaults to the paper's Table 1.
        fc_channels (int): Width of the hidden fully connected layer. Defaults to 256.
        heatmap_scale (float | str): The maps are multiplied by ``H * W`` (``'numel'``,
            default: a uniform map is 1) or by a number, so that their values are O(1).
        init_cfg (dict, optional): Initialization config.

    Example:
        >>> ghcu = GlobalHeatmapCorrectionUnit(num_keypoints=68, heatmap_size=(80, 80))
        >>> ghcu(torch.rand(2, 68, 80, 80).softmax(-1)).shape
        torch.Size([2, 68, 2])
    """

    def __init__(self,
                 num_keypoints: int,
                 heatmap_size: Sequence[int],
                 convs: Sequence[tuple] = GHCU_CONVS,
                 fc_channels: int = 256,
                 heatmap_scale: Union[str, float] = 'numel',
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        if not (isinstance(num_keypoints, int) and num_keypoints >= 1):
            raise ValueError(f'GlobalHeatmapCorrectionUnit: num_keypoints must be an int >= 1, '
                             f'got {num_keypoints!r}')
        if len(heatmap_size) != 2 or min(heatmap_size) < 1:
            raise ValueError(f'GlobalHeatmapCorrectionUnit: heatmap_size must be (W, H), got '
                             f'{heatmap_size!r}')
        if not (heatmap_scale == 'numel' or (isinstance(heatmap_scale, (int, float))
                                             and heatmap_scale > 0)):
            raise ValueError(f"GlobalHeatmapCorrectionUnit: heatmap_scale must be 'numel' or a "
                             f'positive number, got {heatmap_scale!r}')
        self.num_keypoints = num_keypoints
        self.heatmap_size = (int(heatmap_size[0]), int(heatmap_size[1]))
        self.heatmap_scale = heatmap_scale
        layers, channels = [], num_keypoints
        w, h = self.heatmap_size
        for kernel, out in convs:
            layers += [nn.Conv2d(channels, out, kernel, stride=2, padding=kernel // 2),
                       nn.ReLU(inplace=True)]
            channels = out
            w, h = (w - 1) // 2 + 1, (h - 1) // 2 + 1
        self.convs = nn.Sequential(*layers)
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(channels * w * h, fc_channels),
                                nn.ReLU(inplace=True), nn.Linear(fc_channels, 2 * num_keypoints))

    def forward(self, heatmaps: Tensor) -> Tensor:
        """Coordinates (B, K, 2) normalized by ``(W, H)`` from heatmaps (B, K, H, W)."""
        if heatmaps.dim() != 4 or heatmaps.shape[1] != self.num_keypoints or tuple(
                heatmaps.shape[-1:-3:-1]) != self.heatmap_size:
            raise ValueError(f'GlobalHeatmapCorrectionUnit: expected heatmaps (B, '
                             f'{self.num_keypoints}, {self.heatmap_size[1]}, '
                             f'{self.heatmap_size[0]}), got {tuple(heatmaps.shape)}')
        scale = (heatmaps.shape[-1] * heatmaps.shape[-2] if self.heatmap_scale == 'numel'
                 else float(self.heatmap_scale))
        out = self.fc(self.convs(heatmaps * scale))
        # around the crop centre at initialization: a small output is a mid-crop landmark
        return 0.5 + out.view(-1, self.num_keypoints, 2)


def ghcu_correct(coords: Tensor, corrected: Tensor, scales: Tensor,
                 max_scale: Optional[float] = None) -> Tensor:
    """Use the GHCU's coordinates for the landmarks whose predicted scale exceeds ``max_scale``.

    Args:
        coords (Tensor): The head's coordinates (B, K, 2).
        corrected (Tensor): The GHCU's coordinates (B, K, 2), same convention.
        scales (Tensor): The predicted Laplace scales (B, K, 2) (any unit ``max_scale`` is in).
        max_scale (float, optional): Threshold on the mean scale over the axes; None corrects
            every landmark.

    Returns:
        Tensor: (B, K, 2).

    Example:
        >>> c, g = torch.zeros(1, 2, 2), torch.ones(1, 2, 2)
        >>> ghcu_correct(c, g, torch.tensor([[[1.0, 1.0], [5.0, 5.0]]]), max_scale=2.0)
        tensor([[[0., 0.],
                 [1., 1.]]])
    """
    if max_scale is None:
        return corrected
    uncertain = scales.mean(-1, keepdim=True) > max_scale
    return torch.where(uncertain, corrected, coords)
