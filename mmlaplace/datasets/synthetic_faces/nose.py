"""Nose: side walls, ridge line (27-30), tip highlight, base line (31-35), alae, nostrils."""
from __future__ import annotations

import numpy as np

from .curves import _catmull_rom, _ellipse_pts
from .landmarks import BRIDGE, NOSE_BASE
from .scene import _Scene


def _draw_nose_ridge(scene: _Scene, nose_w: float) -> None:
    """Side walls (darker on the side away from the light), ridge line and tip highlight."""
    P, kp, skin, s = scene.painter, scene.kp, scene.skin, scene.scale
    ridge = _catmull_rom(kp[BRIDGE], samples=8)
    shadow_side = -1.0 if scene.light2[0] > 0 else 1.0
    for side, j in ((-1.0, 31), (1.0, 35)):
        wall = _catmull_rom(np.stack([
            kp[28] + np.array([side * 0.18 * nose_w, 0]),
            kp[29] + np.array([side * 0.32 * nose_w, 0]),
            kp[j] + (kp[30] - kp[j]) * 0.25 + np.array([0, -0.12 * nose_w])]), samples=6)
        P.line(wall, skin * 0.45, max(1.0, 0.05 * nose_w), 0.35 if side == shadow_side else 0.15,
               blur=0.08 * nose_w)
    P.line(ridge, np.minimum(skin * 1.2 + 12, 255), max(1.0, 0.06 * nose_w), 0.3, blur=0.3)
    P.line(ridge, skin * 0.9, 1.0, 0.3)
    P.add_layer('nose_ridge', [ridge], 'line')
    P.ellipse(kp[30] - 0.03 * s * scene.light2, (0.035 * s, 0.025 * s), scene.roll,
              np.minimum(skin * 1.3 + 20, 255), 0.35, blur=0.015 * s)


def _draw_nose_base(scene: _Scene, nose_w: float) -> None:
    """Shadow under the nose, alae, nostrils and the base line through 31-35."""
    P, kp, skin, s = scene.painter, scene.kp, scene.skin, scene.scale
    base = _catmull_rom(kp[NOSE_BASE], samples=6)
    P.poly(np.concatenate([base, (base + np.array([0, 0.035 * s]))[::-1]]), skin * 0.5, 0.25,
           blur=0.01 * s)
    wings, nostrils = [], []
    for j, jn in ((31, 32), (35, 34)):
        out = kp[j] - kp[33]
        wings.append(_catmull_rom(np.stack([
            kp[j], kp[j] + 0.15 * out + np.array([0, -0.09 * nose_w]),
            kp[j] - 0.05 * out + np.array([0, -0.2 * nose_w])]), samples=5))
        # nostril: a dark ellipse whose bottom sits on landmark 32 / 34
        v = kp[33] - kp[j]
        rx = 0.28 * np.linalg.norm(v)
        ry = 0.35 * rx
        nostrils.append(_ellipse_pts(kp[jn] + np.array([0.0, -ry]), (rx, ry),
                                     float(np.degrees(np.arctan2(v[1], v[0])))))
    P.line(wings, skin * 0.45, max(1.0, 0.04 * nose_w), 0.5, blur=0.3)
    P.poly(nostrils, skin * 0.25, 0.8, blur=0.3)
    P.line(base, skin * 0.4, max(1.0, 0.035 * nose_w), 0.6, blur=0.2)
    P.add_layer('nose_base', [base], 'line')


def _draw_nose(scene: _Scene) -> None:
    """Draw the nose; records the ``'nose_ridge'`` and ``'nose_base'`` 1 px line layers."""
    nose_w = np.linalg.norm(scene.kp[35] - scene.kp[31])
    _draw_nose_ridge(scene, nose_w)
    _draw_nose_base(scene, nose_w)
