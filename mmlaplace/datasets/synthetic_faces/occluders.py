"""Partial occluders: hand, rectangle, bar, ellipse, hat, face mask and glasses.

Landmarks under an occluder stay labelled (visibility 2, as in 300W); the drawn occluders are
recorded in the ``'occluders'`` layer.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List

import numpy as np

from .curves import _catmull_rom, _ellipse_pts, _offset_curve
from .landmarks import L_EYE, R_EYE
from .painter import Color, _Painter, _smooth_noise, _tint

#: Draws one occluder kind: ``(painter, occluder, fill, centre, size, keypoints)`` -> the
#: polygons to record in the ``'occluders'`` layer.
_Drawer = Callable[[_Painter, Dict[str, Any], Color, np.ndarray, float, np.ndarray],
                   List[np.ndarray]]


def _occluder_fill(rng: np.random.Generator, o: Dict[str, Any], size: int) -> Color:
    """Colour source of an occluder: its colour under a vertical gradient, maybe textured."""
    col = np.asarray(o['color'], np.float32)
    vgrad = np.linspace(0.85, 1.1, size, dtype=np.float32)[:, None]
    if o['texture']:
        tex = 1.0 + 0.15 * _smooth_noise(rng, size, int(rng.integers(3, 20)), 3)
        fill: Color = lambda ys, xs: col * tex[ys, xs] * vgrad[ys, :, None]  # noqa: E731
    else:
        fill = lambda ys, xs: _tint(col, np.broadcast_to(  # noqa: E731
            vgrad[ys], (ys.stop - ys.start, xs.stop - xs.start)))
    return fill


def _draw_hand(P: _Painter, o: Dict[str, Any], fill: Color, c: np.ndarray, sz: float,
               kp: np.ndarray) -> List[np.ndarray]:
    """A palm with four fingers pointing along ``o['angle']`` and a thumb."""
    col = np.asarray(o['color'], np.float32)
    ang = np.deg2rad(o['angle'])
    d = np.array([np.cos(ang), np.sin(ang)])
    n = np.array([-d[1], d[0]])
    polys = [_ellipse_pts(c, (0.45 * sz, 0.38 * sz), o['angle'])]
    for f in range(4):
        base = c + n * (f - 1.5) * 0.2 * sz + d * 0.25 * sz
        tip = base + d * sz * (0.55 + 0.1 * (1.5 - abs(f - 1.5)))
        seg = np.stack([base, tip])
        finger = np.concatenate([_offset_curve(seg, 0.09 * sz),
                                 [tip + d * 0.08 * sz],
                                 _offset_curve(seg, -0.09 * sz)[::-1]])
        polys.append(_catmull_rom(finger, closed=True, samples=4))
    thumb = np.stack([c - n * 0.35 * sz, c - n * 0.35 * sz + (d - n) * 0.35 * sz])
    polys.append(np.concatenate([_offset_curve(thumb, 0.1 * sz),
                                 _offset_curve(thumb, -0.1 * sz)[::-1]]))
    for poly in polys:
        P.poly(poly, fill)
    for poly in polys[1:]:
        P.line(poly, col * 0.6, 1.0, 0.4, closed=True)
    return polys


def _draw_box(P: _Painter, o: Dict[str, Any], fill: Color, c: np.ndarray, sz: float,
              kp: np.ndarray) -> List[np.ndarray]:
    """A rotated rectangle (``'rect'``) or a thin bar (``'bar'``)."""
    asp = o['aspect'] if o['kind'] == 'rect' else 0.18
    a = np.deg2rad(o['angle'])
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    polys = [(np.array([[-1, -asp], [1, -asp], [1, asp], [-1, asp]]) * sz * 0.5) @ r.T + c]
    P.poly(polys[-1], fill)
    return polys


def _draw_ellipse(P: _Painter, o: Dict[str, Any], fill: Color, c: np.ndarray, sz: float,
                  kp: np.ndarray) -> List[np.ndarray]:
    """A rotated ellipse."""
    polys = [_ellipse_pts(c, (0.5 * sz, 0.5 * sz * o['aspect']), o['angle'])]
    P.poly(polys[-1], fill)
    return polys


def _draw_hat(P: _Painter, o: Dict[str, Any], fill: Color, c: np.ndarray, sz: float,
              kp: np.ndarray) -> List[np.ndarray]:
    """A hat crown over the face's width, with a brim line at ``o['brim_y']``."""
    col = np.asarray(o['color'], np.float32)
    y = o['brim_y']
    x0, x1 = kp[:, 0].min() - 0.25 * sz, kp[:, 0].max() + 0.25 * sz
    crown = np.array([[x0, y], [x1, y], [x1 - 0.12 * sz, y - 0.25 * sz],
                      [c[0] + 0.3 * sz, y - 0.9 * sz], [c[0] - 0.3 * sz, y - 0.9 * sz],
                      [x0 + 0.12 * sz, y - 0.25 * sz]])
    polys = [_catmull_rom(crown, closed=True, samples=5)]
    P.poly(polys[-1], fill)
    P.line(np.array([[x0, y], [x1, y]]), col * 0.5, max(1.0, 0.03 * sz), 0.8)
    return polys


def _draw_mask(P: _Painter, o: Dict[str, Any], fill: Color, c: np.ndarray, sz: float,
               kp: np.ndarray) -> List[np.ndarray]:
    """A face mask from the nose (``o['top_y']``) down over the jaw."""
    y = o['top_y']
    pts = np.concatenate([[[kp[1, 0] - 0.03 * sz, y]], kp[2:15] + (kp[2:15] - kp[30]) * 0.08,
                          [[kp[15, 0] + 0.03 * sz, y]]])
    polys = [_catmull_rom(pts, closed=True, samples=4)]
    P.poly(polys[-1], fill)
    return polys


def _draw_glasses(P: _Painter, o: Dict[str, Any], fill: Color, c: np.ndarray, sz: float,
                  kp: np.ndarray) -> List[np.ndarray]:
    """Glasses: two elliptic frames (dark lenses if ``o['dark']``) and a bridge."""
    col = np.asarray(o['color'], np.float32)
    polys: List[np.ndarray] = []
    for idx in (R_EYE, L_EYE):
        e = kp[idx]
        w = np.linalg.norm(e[3] - e[0])
        lens = _ellipse_pts(e.mean(0), (0.85 * w, 0.6 * w), 0)
        if o['dark']:
            P.poly(lens, (20, 20, 25), 0.85)
            polys.append(lens)
        P.line(lens, col * 0.4, max(1.0, 0.08 * w), 1.0, closed=True)
    P.line(np.stack([kp[39] + np.array([0.5 * np.linalg.norm(kp[39] - kp[36]), -2]),
                     kp[42] - np.array([0.5 * np.linalg.norm(kp[45] - kp[42]), 2])]),
           col * 0.4, 2.0, 1.0)
    return polys


_DRAWERS: Dict[str, _Drawer] = {
    'hand': _draw_hand,
    'rect': _draw_box,
    'bar': _draw_box,
    'ellipse': _draw_ellipse,
    'hat': _draw_hat,
    'mask': _draw_mask,
    'glasses': _draw_glasses,
}


def _draw_occluder(P: _Painter, o: Dict[str, Any], rng: np.random.Generator,
                   kp: np.ndarray) -> None:
    """Draw one occluder and record it in the ``'occluders'`` layer.

    Args:
        P: The canvas.
        o: The occluder's description (see ``_sample_occluders``), in image pixels.
        rng: The texture generator.
        kp: (68, 2) landmarks in image pixels.
    """
    fill = _occluder_fill(rng, o, P.size)
    draw = _DRAWERS.get(o['kind'])
    if draw is None:  # unknown kinds draw nothing
        return
    polys = draw(P, o, fill, np.asarray(o['center'], np.float64), float(o['size']), kp)
    if polys:
        P.add_layer('occluders', polys)
