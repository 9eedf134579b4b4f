"""PIPNet's occlusion and blur augmentation (Jin et al., IJCV 2021, Sec. 4.1) on the crop.

MMPose reaches these through ``Albumentation``, which needs the ``albumentations`` package;
these two transforms need only OpenCV and NumPy. Put them after ``TopdownAffine``: sizes are
in crop pixels and the keypoints do not move.
"""
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS


def _check_prob(name: str, prob: float) -> float:
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f'{name}: `prob` must be in [0, 1], got {prob}')
    return float(prob)


@TRANSFORMS.register_module()
class RandomRectangleOcclusion(BaseTransform):
    """Paint a random rectangle of random colour over the crop with probability ``prob``.

    The rectangle's sides are drawn uniformly in ``[1, max_size]`` crop pixels and its
    position uniformly inside the crop (PIPNet: at most 100 pixels of a 256 x 256 crop,
    p = 0.5). ``keypoints_visible`` is left as it is (the annotation still holds).

    Args:
        max_size (int): Largest side, crop pixels. Defaults to 100.
        prob (float): Probability of occluding. Defaults to 0.5.
        seed (int, optional): Seed of this transform's own generator (tests). Defaults to
            None (NumPy's global generator, which MMEngine seeds per worker).

    Example:
        >>> img = np.zeros((64, 64, 3), np.uint8)
        >>> out = RandomRectangleOcclusion(max_size=32, prob=1.0, seed=0)(dict(img=img))
        >>> bool((out['img'] != 0).any())
        True
    """

    def __init__(self, max_size: int = 100, prob: float = 0.5, seed: Optional[int] = None):
        super().__init__()
        if int(max_size) < 1:
            raise ValueError(f'RandomRectangleOcclusion: `max_size` must be >= 1, got '
                             f'{max_size}')
        self.max_size = int(max_size)
        self.prob = _check_prob('RandomRectangleOcclusion', prob)
        self.rng = np.random.RandomState(seed) if seed is not None else np.random

    def transform(self, results: dict) -> dict:
        """Occlude ``results['img']`` (H, W, C) in place of a copy."""
        if self.rng.uniform() >= self.prob:
            return results
        img = results['img'].copy()
        h, w = img.shape[:2]
        rw = int(self.rng.randint(1, min(self.max_size, w) + 1))
        rh = int(self.rng.randint(1, min(self.max_size, h) + 1))
        x = int(self.rng.randint(0, w - rw + 1))
        y = int(self.rng.randint(0, h - rh + 1))
        colour = self.rng.randint(0, 256, size=img.shape[2:] or (1, ))
        img[y:y + rh, x:x + rw] = colour.astype(img.dtype)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(max_size={self.max_size}, prob={self.prob})'


@TRANSFORMS.register_module()
class RandomGaussianBlur(BaseTransform):
    """Gaussian blur of a random radius in ``[1, max_radius]`` with probability ``prob``.

    The kernel is ``2 r + 1`` pixels wide with sigma ``r / 2`` (PIPNet: radius at most 5,
    p = 0.3).

    Args:
        max_radius (int): Largest radius, crop pixels. Defaults to 5.
        prob (float): Probability of blurring. Defaults to 0.3.
        seed (int, optional): Seed of this transform's own generator (tests).

    Example:
        >>> img = np.zeros((9, 9, 3), np.uint8); img[4, 4] = 255
        >>> out = RandomGaussianBlur(max_radius=2, prob=1.0, seed=0)(dict(img=img))
        >>> int(out['img'][4, 4, 0]) < 255 and int(out['img'][4, 5, 0]) > 0
        True
    """

    def __init__(self, max_radius: int = 5, prob: float = 0.3, seed: Optional[int] = None):
        super().__init__()
        if int(max_radius) < 1:
            raise ValueError(f'RandomGaussianBlur: `max_radius` must be >= 1, got {max_radius}')
        self.max_radius = int(max_radius)
        self.prob = _check_prob('RandomGaussianBlur', prob)
        self.rng = np.random.RandomState(seed) if seed is not None else np.random

    def transform(self, results: dict) -> dict:
        """Blur ``results['img']``."""
        if self.rng.uniform() >= self.prob:
            return results
        radius = int(self.rng.randint(1, self.max_radius + 1))
        results['img'] = cv2.GaussianBlur(results['img'], (2 * radius + 1, 2 * radius + 1),
                                          radius / 2)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(max_radius={self.max_radius}, prob={self.prob})'
