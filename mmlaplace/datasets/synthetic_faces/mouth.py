"""Mouth: lips filled between the outer (48-59) and inner (60-67) contours, interior, teeth."""
from __future__ import annotations

import numpy as np

from .curves import _catmull_rom
from .painter import _tint
from .scene import _Scene


def _draw_mouth_interior(scene: _Scene, inner: np.ndarray, in_up: np.ndarray) -> None:
    """Dark interior of an open mouth and, often, the upper teeth."""
    P, kp, s = scene.painter, scene.kp, scene.scale
    gap = float(np.mean(kp[[65, 66, 67], 1] - kp[[63, 62, 61], 1]))
    if gap > 0.8:
        res = P.poly(inner, (45, 18, 22))
        if res is not None and scene.app['teeth']:
            roi, mask = res
            teeth_h = min(0.035 * s, gap * 0.6)
            tm = P.poly_mask([np.concatenate([in_up, (in_up + np.array([0, teeth_h]))[::-1]])],
                             roi)
            P.blend(roi, tm.astype(np.float32) * mask * np.float32(1 / 255), (225, 220, 205),
                    0.95)


def _draw_mouth(scene: _Scene) -> None:
    """Draw the mouth; records the ``'lips'`` and 1 px ``'mouth_inner'`` layers."""
    P, kp, s, roll = scene.painter, scene.kp, scene.scale, scene.roll
    out_up = _catmull_rom(kp[48:55])
    out_lo = _catmull_rom(kp[[54, 55, 56, 57, 58, 59, 48]])
    in_up = _catmull_rom(kp[60:65])
    in_lo = _catmull_rom(kp[[64, 65, 66, 67, 60]])
    outer = np.concatenate([out_up, out_lo[1:-1]])
    inner = np.concatenate([in_up, in_lo[1:-1]])
    lips = np.asarray(scene.app['lips'], np.float32)
    shade = scene.shade
    P.ellipse(kp[57] + np.array([0, 0.03 * s]), (0.09 * s, 0.025 * s), roll, scene.skin * 0.5,
              0.25, blur=0.015 * s)
    P.poly([outer, inner], lambda ys, xs: _tint(lips, 0.85 + 0.15 * shade[ys, xs]))
    P.poly(np.concatenate([out_up, in_up[::-1]]), lips * 0.8, 0.5)
    P.ellipse(0.5 * (kp[57] + kp[66]) - 0.01 * s * scene.light2, (0.04 * s, 0.012 * s), roll,
              np.minimum(lips * 1.4 + 20, 255), 0.3, blur=0.01 * s)
    _draw_mouth_interior(scene, inner, in_up)
    P.line([in_up, in_lo], (50, 20, 25), 1.0, 0.8)
    P.line(outer, lips * 0.7, 1.0, 0.3, closed=True)
    P.add_layer('lips', [outer, inner])
    P.add_layer('mouth_inner', [in_up, in_lo], 'line')
