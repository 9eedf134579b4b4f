"""Brows: tapered strokes whose landmarks lie inside the stroke (layer ``'brows'``)."""
from __future__ import annotations

import numpy as np

from .curves import _catmull_rom, _offset_curve
from .landmarks import L_BROW, R_BROW
from .painter import _tint, _white_noise
from .scene import _Scene


def _brow_stroke(center: np.ndarray, left: bool, thickness: float) -> np.ndarray:
    """Closed outline of one brow stroke around its sampled centre line.

    Args:
        center: Spline samples through the brow landmarks.
        left: Whether it is the left brow (its landmarks run inner -> outer).
        thickness: Maximum stroke thickness in pixels.

    Returns:
        The stroke polygon; the landmarks lie 40 % of its thickness below its upper edge.
    """
    t = np.linspace(0, 1, len(center))
    if left:
        t = t[::-1]
    thick = thickness * (0.55 + 0.65 * np.sin(np.pi * (0.25 + 0.7 * t))**0.8)
    thick *= np.where(t > 0.8, 1 - (t - 0.8) * 2.5, 1.0)
    return np.concatenate([_offset_curve(center, 0.4 * thick),
                           _offset_curve(center, -0.6 * thick)[::-1]])


def _draw_brows(scene: _Scene) -> None:
    """Draw both brows with a grainy texture and record the ``'brows'`` layer."""
    P, app, kp = scene.painter, scene.app, scene.kp
    brow = np.asarray(app['brow'], np.float32)
    strokes = []
    for idx in (R_BROW, L_BROW):
        center = _catmull_rom(kp[idx], samples=6)
        strokes.append(_brow_stroke(center, idx[0] == 22,
                                    float(app['brow_thickness']) * scene.scale))
    grain = _white_noise(scene.rng, scene.size, 1)
    P.poly(strokes, lambda ys, xs: _tint(brow, 1.0 + 0.12 * grain[ys, xs, 0]),
           float(app['brow_alpha']), blur=0.3)
    P.add_layer('brows', strokes)
