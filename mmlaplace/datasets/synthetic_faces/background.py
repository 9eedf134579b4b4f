"""Random textured backgrounds: gradients plus noise blobs, stripes, shapes or grain."""
from __future__ import annotations

from typing import Tuple

import cv2
import numpy as np

from .curves import _ellipse_pts
from .painter import _gray3, _grid, _Painter, _smooth_noise, _white_noise


def _random_color(rng: np.random.Generator, max_sat: float = 200.0,
                  val: Tuple[int, int] = (20, 256)) -> np.ndarray:
    """Random RGB colour, mostly muted (saturation skewed low)."""
    hsv = np.uint8([[[rng.integers(0, 180), int(max_sat * rng.random()**1.5),
                      rng.integers(*val)]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def _gradient_base(rng: np.random.Generator, size: int) -> Tuple[np.ndarray, np.ndarray]:
    """Sample the background's kinds of texture and its linear gradient (with the blobs).

    The smooth parts are made at a quarter of the resolution, then upsampled.

    Returns:
        The (S, S, 3) float32 base image and the sampled kinds.
    """
    low = max(size // 4, 8)
    yy, xx = _grid(low)
    ang = rng.uniform(0, 2 * np.pi)
    ca, sa = float(np.cos(ang)), float(np.sin(ang))
    g = np.clip((ca * xx + sa * yy) / low + 0.5 - 0.5 * (ca + sa), 0, 1)
    c0, c1 = _random_color(rng), _random_color(rng)
    img = c0 + (c1 - c0) * g[..., None]
    kinds = rng.choice(['blobs', 'stripes', 'shapes', 'grain', 'shapes'],
                       size=int(rng.integers(1, 4)), replace=False)
    if 'blobs' in kinds:
        img += _smooth_noise(rng, low, int(rng.integers(3, 12)), 3) * rng.uniform(10, 40)
    img = cv2.resize(img, (size, size), interpolation=cv2.INTER_LINEAR)
    return img, kinds


def _add_stripes(rng: np.random.Generator, img: np.ndarray) -> None:
    """Blend a sine or square wave of random direction, period and colour (in place)."""
    size = img.shape[0]
    yy, xx = _grid(size)
    a = rng.uniform(0, np.pi)
    period = rng.uniform(0.03, 0.25) * size
    wave = np.sin((float(np.cos(a)) * xx + float(np.sin(a)) * yy) * float(2 * np.pi / period))
    if rng.random() < 0.5:
        wave = np.sign(wave)
    col = _random_color(rng)
    flat = img.reshape(size, size * 3)
    flat += (np.tile(col, size) - flat) * _gray3(
        np.float32(rng.uniform(0.1, 0.4) / 2) * (wave + 1)).reshape(size, size * 3)


def _add_shapes(rng: np.random.Generator, painter: _Painter) -> None:
    """Draw 2-7 random rectangles, ellipses or thick lines."""
    size = painter.size
    for _ in range(int(rng.integers(2, 8))):
        col = _random_color(rng)
        ctr = rng.uniform(-0.1, 1.1, 2) * size
        ax = rng.uniform(0.05, 0.4, 2) * size
        r = rng.random()
        if r < 0.45:
            pts = _ellipse_pts(ctr, (ax[0], ax[1]), rng.uniform(0, 180), 4)
            painter.poly(pts, col, rng.uniform(0.4, 1.0))
        elif r < 0.75:
            painter.ellipse(ctr, (ax[0], ax[1]), rng.uniform(0, 180), col, rng.uniform(0.4, 1.0))
        else:
            p2 = ctr + rng.normal(0, 0.4, 2) * size
            painter.line(np.stack([ctr, p2]), col, rng.uniform(1, 6), rng.uniform(0.5, 1.0))


def _defocus(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Sometimes blur the background (a strong blur is computed at half resolution)."""
    size = img.shape[0]
    if rng.random() < 0.5:
        sigma = float(rng.uniform(0.5, 3.0))
        if sigma > 1.5:
            half = cv2.resize(img, (size // 2, size // 2), interpolation=cv2.INTER_AREA)
            img = cv2.resize(cv2.GaussianBlur(half, (0, 0), sigma / 2), (size, size),
                             interpolation=cv2.INTER_LINEAR)
        else:
            img = cv2.GaussianBlur(img, (0, 0), sigma)
    return img


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Random textured background: gradient plus noise blobs / stripes / shapes / grain,
    sometimes defocused. Returns (S, S, 3) float32 (not clipped; the final image is).
    """
    img, kinds = _gradient_base(rng, size)
    painter = _Painter(img)
    for kind in kinds:
        if kind == 'stripes':
            _add_stripes(rng, img)
        elif kind == 'shapes':
            _add_shapes(rng, painter)
        elif kind == 'grain':
            img += _gray3(_white_noise(rng, size, 1)[..., 0] * np.float32(rng.uniform(3, 10)))
    return _defocus(rng, img).astype(np.float32, copy=False)
