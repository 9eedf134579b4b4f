"""Drawing primitives: the float RGB canvas :class:`_Painter`, colour sources, noise helpers."""
from __future__ import annotations

from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from .curves import _ellipse_pts

#: Integer pixel box ``(x0, y0, x1, y1)``, end-exclusive.
Roi = Tuple[int, int, int, int]
#: A colour source: an RGB triple, a full-image (H, W, 3) array, or a function of the ROI's
#: (row slice, column slice) returning an array broadcastable to the ROI.
Color = Union[Sequence[float], np.ndarray, Callable[[slice, slice], np.ndarray]]

_GRIDS: Dict[int, Tuple[np.ndarray, np.ndarray]] = {}


def _grid(size: int) -> Tuple[np.ndarray, np.ndarray]:
    """Cached float32 pixel-coordinate grids ``(yy, xx)`` of a square image."""
    if size not in _GRIDS:
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        yy.setflags(write=False)
        xx.setflags(write=False)
        _GRIDS[size] = (yy, xx)
    return _GRIDS[size]


def _gray3(gray: np.ndarray) -> np.ndarray:
    """(h, w) -> (h, w, 3) float32 copies of a map (OpenCV: far faster than ``np.repeat``)."""
    return cv2.cvtColor(np.ascontiguousarray(gray, np.float32), cv2.COLOR_GRAY2RGB)


class _Painter:
    """Float RGB canvas with anti-aliased, ROI-restricted alpha compositing.

    Args:
        image: (S, S, 3) float32 canvas, modified in place.
        layers: Whether to collect binary structure masks.
    """

    def __init__(self, image: np.ndarray, layers: bool = False) -> None:
        self.img = image
        self.size = image.shape[0]
        self.layers: Optional[Dict[str, np.ndarray]] = {} if layers else None

    def roi(self, pts: np.ndarray, pad: float) -> Optional[Roi]:
        """Integer bounding box ``(x0, y0, x1, y1)`` of ``pts`` plus ``pad``, clipped."""
        x0 = max(int(np.floor(pts[:, 0].min() - pad)), 0)
        y0 = max(int(np.floor(pts[:, 1].min() - pad)), 0)
        x1 = min(int(np.ceil(pts[:, 0].max() + pad)) + 1, self.size)
        y1 = min(int(np.ceil(pts[:, 1].max() + pad)) + 1, self.size)
        if x1 <= x0 or y1 <= y0:
            return None
        return x0, y0, x1, y1

    @staticmethod
    def _fixed(pts: np.ndarray, roi: Roi) -> np.ndarray:
        """Fixed-point (4 fractional bits) vertices relative to the ROI; pixel centres at
        integer coordinates, as OpenCV draws them.
        """
        return np.round((pts - np.array([roi[0], roi[1]])) * 16).astype(np.int32)

    def poly_mask(self, polys: Sequence[np.ndarray], roi: Roi, aa: bool = True) -> np.ndarray:
        """(h, w) uint8 0/255 mask of polygons (even-odd fill) in the ROI."""
        m = np.zeros((roi[3] - roi[1], roi[2] - roi[0]), np.uint8)
        cv2.fillPoly(m, [self._fixed(p, roi) for p in polys], 255,
                     cv2.LINE_AA if aa else cv2.LINE_8, 4)
        return m

    def line_mask(self, lines: Sequence[np.ndarray], roi: Roi, thickness: int,
                  closed: bool = False, aa: bool = True) -> np.ndarray:
        """(h, w) uint8 0/255 mask of polylines of ``thickness`` px in the ROI."""
        m = np.zeros((roi[3] - roi[1], roi[2] - roi[0]), np.uint8)
        cv2.polylines(m, [self._fixed(p, roi) for p in lines], closed, 255,
                      max(int(thickness), 1), cv2.LINE_AA if aa else cv2.LINE_8, 4)
        return m

    def add_layer(self, name: str, polys: Sequence[np.ndarray], kind: str = 'poly') -> None:
        """Record a binary full-image mask (no anti-aliasing) of polygons or 1 px lines."""
        if self.layers is None:
            return
        roi = (0, 0, self.size, self.size)
        if kind == 'poly':
            m = self.poly_mask(polys, roi, aa=False)
        else:
            m = self.line_mask(polys, roi, 1, False, aa=False)
        self.layers[name] = np.maximum(self.layers[name], m) if name in self.layers else m

    def blend(self, roi: Roi, mask: np.ndarray, color: Color, alpha: float = 1.0,
              blur: float = 0.0) -> None:
        """``img = img + (color - img) * alpha * mask / 255`` inside the ROI.

        Works on the (h, w * 3) view of the ROI: numpy is slow when broadcasting over a last
        axis of length 3.
        """
        x0, y0, x1, y1 = roi
        h, w = y1 - y0, x1 - x0
        a = mask.astype(np.float32) * np.float32(alpha / 255.0)
        if blur > 0.25:
            a = cv2.GaussianBlur(a, (0, 0), blur)
        sub = self.img[y0:y1, x0:x1].reshape(h, w * 3)
        if callable(color):
            col = np.asarray(color(slice(y0, y1), slice(x0, x1)), np.float32)
        else:
            col = np.asarray(color, np.float32)
            if col.ndim == 3:
                col = col[y0:y1, x0:x1]
        if col.ndim == 3:
            col = col.reshape(h, w * 3)
        elif col.ndim == 1:
            col = np.tile(col, w)
        sub += (col - sub) * _gray3(a).reshape(h, w * 3)

    def poly(self, polys: Union[np.ndarray, Sequence[np.ndarray]], color: Color,
             alpha: float = 1.0, blur: float = 0.0) -> Optional[Tuple[Roi, np.ndarray]]:
        """Fill polygons (even-odd) anti-aliased; returns the ROI and its uint8 mask."""
        polys = [polys] if isinstance(polys, np.ndarray) else list(polys)
        roi = self.roi(np.concatenate(polys), 3 * blur + 2)
        if roi is None:
            return None
        m = self.poly_mask(polys, roi)
        self.blend(roi, m, color, alpha, blur)
        return roi, m

    def line(self, lines: Union[np.ndarray, Sequence[np.ndarray]], color: Color,
             thickness: float = 1.0, alpha: float = 1.0, blur: float = 0.0,
             closed: bool = False) -> None:
        """Draw anti-aliased polylines; thickness below 1 px fades a 1 px line."""
        lines = [lines] if isinstance(lines, np.ndarray) else list(lines)
        t = max(int(round(thickness)), 1)
        if thickness < 1:
            alpha *= max(thickness, 0.0)
        roi = self.roi(np.concatenate(lines), 3 * blur + t + 2)
        if roi is None:
            return
        self.blend(roi, self.line_mask(lines, roi, t, closed), color, alpha, blur)

    def ellipse(self, center: np.ndarray, axes: Tuple[float, float], angle: float,
                color: Color, alpha: float = 1.0, blur: float = 0.0) -> None:
        """Fill an ellipse (semi-axes ``axes``, rotated by ``angle`` degrees)."""
        self.poly(_ellipse_pts(center, axes, angle), color, alpha, blur)


def _upsample(g: np.ndarray, size: int) -> np.ndarray:
    """Smoothly upsample a small (h, w[, c]) array to (size, size[, c]): bicubic to at most
    64 px, then bilinear (much cheaper than a full-size bicubic resize).
    """
    mid = min(size, 64)
    if max(g.shape[:2]) < mid:
        g = cv2.resize(g, (mid, mid), interpolation=cv2.INTER_CUBIC)
    return cv2.resize(g, (size, size), interpolation=cv2.INTER_LINEAR)


def _smooth_noise(rng: np.random.Generator, size: int, cells: int, channels: int = 1,
                  aspect: Tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """Low-frequency noise of about unit std: ``cells`` control points per side.

    Returns:
        (size, size, channels) float32.
    """
    ch = max(2, int(cells * aspect[1]))
    cw = max(2, int(cells * aspect[0]))
    g = rng.standard_normal((ch, cw, channels), dtype=np.float32)
    return _upsample(g, size).reshape(size, size, channels)


_NOISE_BANKS: Dict[int, np.ndarray] = {}


def _white_noise(rng: np.random.Generator, size: int, channels: int = 1) -> np.ndarray:
    """Standard normal (size, size, channels) float32 noise, cut at a random offset and
    orientation from a fixed per-process noise bank (a view-cheap stand-in for drawing fresh
    normals, which dominated the rendering time; it stays a function of ``rng`` only).
    """
    side = max(512, 2 * size)
    if side not in _NOISE_BANKS:
        bank = np.random.default_rng(20190601).standard_normal((side, side, 3),
                                                               dtype=np.float32)
        bank.setflags(write=False)
        _NOISE_BANKS[side] = bank
    bank = _NOISE_BANKS[side]
    y0, x0 = rng.integers(0, side - size + 1, 2)
    c0 = int(rng.integers(0, 4 - channels)) if channels < 3 else 0
    out = bank[y0:y0 + size, x0:x0 + size, c0:c0 + channels]
    k = int(rng.integers(0, 8))
    if k & 1:
        out = out[::-1]
    if k & 2:
        out = out[:, ::-1]
    if k & 4:
        out = out.transpose(1, 0, 2)
    return out


def _scaled(src: np.ndarray, factor: Union[float, np.ndarray]) -> Callable:
    """Colour source: a full-image array times a factor, evaluated only in the ROI."""
    f = np.asarray(factor, np.float32)
    return lambda ys, xs: src[ys, xs] * f


def _tint(color: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """``color * gray[..., None]`` as an (h, w * 3) array (fast interleaved broadcast)."""
    return _gray3(gray).reshape(gray.shape[0], -1) * np.tile(np.asarray(color, np.float32),
                                                             gray.shape[1])

