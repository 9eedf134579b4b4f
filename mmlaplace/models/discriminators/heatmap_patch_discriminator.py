"""PatchGAN discriminator on [image, heatmaps] of Laplace Landmark Localization (Sec. 3.2, 4)."""
import numbers
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor

HeatmapScale = Union[str, float, None]
_SCALE_MODES = ('numel', 'max')


class GaussianNoise(nn.Module):
    """Additive Gaussian noise ``x + std * N(0, 1)``, in training mode only.

    Args:
        std (float): Standard deviation of the noise (0 disables it).
    """

    def __init__(self, std: float) -> None:
        super().__init__()
        self.std = float(std)

    def forward(self, x: Tensor) -> Tensor:
        """Add noise to ``x`` of any shape when training, else return ``x`` unchanged."""
        if self.training and self.std > 0:
            return x.add(torch.randn_like(x), alpha=self.std)
        return x

    def extra_repr(self) -> str:
        return f'std={self.std}'


@MODELS.register_module()
class HeatmapPatchDiscriminator(BaseModule):
    r"""4-layer PatchGAN (Isola et al., 2017) judging ``[image, K heatmaps]`` pairs.

    The discriminator ``D`` of Robinson et al., "Laplace Landmark Localization" (ICCV 2019),
    Sec. 3.2 and 4: the input image, resized bilinearly to the heatmap size ``(H, W)``, is
    concatenated with the ``K`` heatmaps into ``K + 3`` channels. Each layer is

    ``GaussianNoise(noise_std) -> Conv(kernel 4) -> [BatchNorm] -> [LeakyReLU(0.2)]``

    with noise before every convolution (training mode only), BatchNorm on all but the first
    and the last layer, LeakyReLU on all but the last. With ``spectral_norm=True`` every
    convolution is spectrally normalized (Miyato et al., ICLR 2018: D is 1-Lipschitz per
    layer, so it cannot become arbitrarily confident) and BatchNorm is left out, as in SN-GAN.
    Channels double from ``base_channels`` (capped at ``8 * base_channels``); every layer but
    the last has stride 2, the last has stride 1 and one output channel (a map of real/fake
    logits, PatchGAN style). With the default 4 layers an 80 x 80 input gives 9 x 9 logits,
    a 64 x 64 input 7 x 7.

    **Heatmap scale.** Generator heatmaps and real heatmaps are probability maps summing to 1
    over ``H * W`` pixels: on 80 x 80 maps a uniform map is 1.6e-4 per pixel, and even the
    peak of a sharp Laplace(b = 1) map is only about 0.15, below the noise level 0.2 of the
    paper. ``heatmap_scale`` rescales the maps inside ``forward`` (identically for real and
    fake, so the scale itself carries no information):

    - ``'numel'`` (default): multiply by ``H * W`` so a uniform map is 1 everywhere (a
      density relative to uniform; the b = 1 peak becomes about 990 on 80 x 80);
    - ``'max'``: divide each map by its maximum (peak 1, shape only);
    - a number: multiply by it; ``None``: feed the raw probabilities.

    The paper does not say how it scaled the maps; ``'numel'`` is this implementation's choice.

    Args:
        in_channels (int): Input channels, ``K + 3``.
        base_channels (int): Channels of the first layer. Defaults to 64.
        num_layers (int): Number of conv layers (>= 2). Defaults to 4.
        noise_std (float): Std of the Gaussian noise before every conv. Defaults to 0.2.
        heatmap_scale (str | float | None): See above. Defaults to ``'numel'``.
        spectral_norm (bool): Spectral normalization of the convolutions (no BatchNorm).
            Defaults to False (the paper's D).
        init_cfg (dict | list[dict], optional): Initialization config. Defaults to
            ``dict(type='Normal', std=0.02, layer='Conv2d')``, the pix2pix initialization.

    Example:
        >>> disc = HeatmapPatchDiscriminator(in_channels=68 + 3)
        >>> logits = disc(torch.rand(2, 68, 80, 80).softmax(-1), torch.randn(2, 3, 80, 80))
        >>> logits.shape
        torch.Size([2, 1, 9, 9])
    """

    def __init__(self,
                 in_channels: int,
                 base_channels: int = 64,
                 num_layers: int = 4,
                 noise_std: float = 0.2,
                 heatmap_scale: HeatmapScale = 'numel',
                 spectral_norm: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(  # noqa: B006
                     type='Normal', std=0.02, layer='Conv2d')) -> None:
        super().__init__(init_cfg)
        if not isinstance(in_channels, int) or in_channels < 4:
            raise ValueError('HeatmapPatchDiscriminator: in_channels must be K + 3 >= 4, got '
                             f'{in_channels!r}')
        if num_layers < 2:
            raise ValueError(f'HeatmapPatchDiscriminator: num_layers must be >= 2, got '
                             f'{num_layers}')
        if noise_std < 0:
            raise ValueError(f'HeatmapPatchDiscriminator: noise_std must be >= 0, got '
                             f'{noise_std}')
        if not (heatmap_scale is None or heatmap_scale in _SCALE_MODES or
                (isinstance(heatmap_scale, numbers.Real) and heatmap_scale > 0)):
            raise ValueError('HeatmapPatchDiscriminator: heatmap_scale must be one of '
                             f'{_SCALE_MODES}, a positive number or None, got '
                             f'{heatmap_scale!r}')
        self.in_channels = in_channels
        self.num_keypoints = in_channels - 3
        self.heatmap_scale = heatmap_scale

        channels = [in_channels] + [
            base_channels * min(2**i, 8) for i in range(num_layers - 1)] + [1]
        self.spectral_norm = bool(spectral_norm)
        layers: List[nn.Module] = []
        for i in range(num_layers):
            first, last = i == 0, i == num_layers - 1
            norm = not (first or last) and not self.spectral_norm
            conv = nn.Conv2d(channels[i], channels[i + 1], kernel_size=4,
                             stride=1 if last else 2, padding=1, bias=not norm)
            if self.spectral_norm:
                conv = nn.utils.parametrizations.spectral_norm(conv)
            layers += [GaussianNoise(noise_std), conv]
            if norm:
                layers.append(nn.BatchNorm2d(channels[i + 1]))
            if not last:
                layers.append(nn.LeakyReLU(0.2, inplace=True))
        self.layers = nn.Sequential(*layers)

    @property
    def noise_std(self) -> float:
        """The std of the input noise of every layer (instance noise; settable)."""
        return next(m.std for m in self.layers if isinstance(m, GaussianNoise))

    @noise_std.setter
    def noise_std(self, std: float) -> None:
        if not (isinstance(std, numbers.Real) and std >= 0):
            raise ValueError(f'HeatmapPatchDiscriminator: noise_std must be >= 0, got {std!r}')
        for m in self.layers:
            if isinstance(m, GaussianNoise):
                m.std = float(std)

    def scale_heatmaps(self, heatmaps: Tensor) -> Tensor:
        """Apply ``heatmap_scale`` to heatmaps of shape (B, K, H, W)."""
        if self.heatmap_scale is None:
            return heatmaps
        if self.heatmap_scale == 'numel':
            return heatmaps * (heatmaps.shape[-2] * heatmaps.shape[-1])
        if self.heatmap_scale == 'max':
            peak = heatmaps.flatten(-2).amax(-1).clamp(min=torch.finfo(heatmaps.dtype).tiny)
            return heatmaps / peak[..., None, None]
        return heatmaps * float(self.heatmap_scale)

    def forward(self, heatmaps: Tensor, images: Tensor) -> Tensor:
        """Real/fake logits of ``[image, heatmaps]`` pairs.

        Args:
            heatmaps (Tensor): Normalized heatmaps (B, K, H, W) (real or generated).
            images (Tensor): The images they belong to, (B, 3, H_in, W_in), as fed to the
                generator (after the data preprocessor); resized bilinearly to (H, W).

        Returns:
            Tensor: Logits (B, 1, h, w), one per patch.
        """
        if heatmaps.dim() != 4 or images.dim() != 4 or heatmaps.shape[0] != images.shape[0]:
            raise ValueError('HeatmapPatchDiscriminator: expected heatmaps (B, K, H, W) and '
                             f'images (B, 3, H_in, W_in), got {tuple(heatmaps.shape)} and '
                             f'{tuple(images.shape)}')
        if heatmaps.shape[1] + images.shape[1] != self.in_channels:
            raise ValueError(
                f'HeatmapPatchDiscriminator: in_channels={self.in_channels} but got '
                f'{heatmaps.shape[1]} heatmaps + {images.shape[1]} image channels')
        size = heatmaps.shape[-2:]
        if images.shape[-2:] != size:
            downsampling = images.shape[-2] > size[0] or images.shape[-1] > size[1]
            images = F.interpolate(images, size=size, mode='bilinear', align_corners=False,
                                   antialias=downsampling)
        x = torch.cat([images.to(heatmaps.dtype), self.scale_heatmaps(heatmaps)], dim=1)
        return self.layers(x)

    @staticmethod
    def output_size(input_size: Sequence[int], num_layers: int = 4) -> tuple:
        """Spatial size ``(h, w)`` of the logit map for heatmaps of size ``(H, W)``."""
        h, w = input_size
        for i in range(num_layers):
            stride = 1 if i == num_layers - 1 else 2
            h, w = (h + 2 - 4) // stride + 1, (w + 2 - 4) // stride + 1
        return h, w
