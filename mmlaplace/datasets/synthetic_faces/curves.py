"""Curve helpers: Catmull-Rom splines through knots, ellipse polygons and offset polylines."""
from __future__ import annotations

from typing import Dict, Tuple, Union

import numpy as np

from .landmarks import Points

_HERMITE: Dict[int, np.ndarray] = {}
_CIRCLES: Dict[int, np.ndarray] = {}


def _hermite_basis(samples: int) -> np.ndarray:
    """(samples, 4) cubic Hermite basis [h00, h10, h01, h11] at u = k / samples."""
    if samples not in _HERMITE:
        u = np.arange(samples) / samples
        _HERMITE[samples] = np.stack([2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u,
                                      -2 * u**3 + 3 * u**2, u**3 - u**2], axis=1)
    return _HERMITE[samples]


def _catmull_rom(points: Points, closed: bool = False, samples: int = 8) -> Points:
    """Sample a centripetal Catmull-Rom spline that passes exactly through ``points``.

    Evaluated in its equivalent cubic Hermite form (tangents of the non-uniform, centripetal
    parameterization), which is much cheaper than the Barry-Goldman pyramid.

    Args:
        points: (N, 2) knots.
        closed: Whether the curve is closed (last knot joins the first).
        samples: Samples per segment (the knot itself is the first sample of each segment).

    Returns:
        (M, 2) samples; knot ``k`` is sample ``k * samples``.
    """
    p = np.asarray(points, np.float64)
    n = len(p)
    if n < 3:
        return p.copy()
    if closed:
        ext = np.concatenate([p[-1:], p, p[:2]])
        nseg = n
    else:
        ext = np.concatenate([(2 * p[0] - p[1])[None], p, (2 * p[-1] - p[-2])[None]])
        nseg = n - 1
    d = np.diff(ext, axis=0)  # (nseg + 2, 2)
    dt = np.maximum(np.sqrt(np.hypot(d[:, 0], d[:, 1])), 1e-4)[:, None]  # centripetal
    v = d / dt  # chord velocities
    # tangent at knot i (ext index i + 1), scaled to the segment's parameter length
    tan = (v[:-1] * dt[1:] + v[1:] * dt[:-1]) / (dt[:-1] + dt[1:])  # (nseg + 1, 2)
    seg_dt = dt[1:nseg + 1]
    ctrl = np.stack([ext[1:nseg + 1], tan[:nseg] * seg_dt, ext[2:nseg + 2],
                     tan[1:nseg + 1] * seg_dt], axis=1)  # (nseg, 4, 2)
    out = np.einsum('sk,nkd->nsd', _hermite_basis(samples), ctrl).reshape(-1, 2)
    out[::samples] = p[:nseg]  # exact knots
    if not closed:
        out = np.concatenate([out, p[-1:]])
    return out


def _ellipse_pts(center: np.ndarray, axes: Tuple[float, float], angle: float,
                 n: int = 32) -> np.ndarray:
    """(n, 2) vertices of an ellipse with semi-axes ``axes`` rotated by ``angle`` degrees."""
    if n not in _CIRCLES:
        t = np.arange(n) * (2 * np.pi / n)
        _CIRCLES[n] = np.stack([np.cos(t), np.sin(t)], 1)
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    rot = np.array([[c * axes[0], s * axes[0]], [-s * axes[1], c * axes[1]]])
    return _CIRCLES[n] @ rot + np.asarray(center, np.float64)


def _offset_curve(curve: np.ndarray, dist: Union[float, np.ndarray]) -> np.ndarray:
    """Offset a polyline along its left normal (image coordinates) by ``dist`` per vertex."""
    d = np.gradient(curve, axis=0)
    d /= np.linalg.norm(d, axis=1, keepdims=True) + 1e-9
    normal = np.stack([d[:, 1], -d[:, 0]], 1)
    return curve + normal * np.broadcast_to(np.asarray(dist, np.float64), (len(curve),))[:, None]
